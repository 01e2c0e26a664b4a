/* The kernel command line: space-separated words, each `key` or `key=value`. */
#ifndef BOOT_CMDLINE_H
#define BOOT_CMDLINE_H

#include <types.h>

void cmdline_init(const char *line);
/* The value of key=value (NUL-terminated copy), or NULL if key is absent.
 * For a bare `key` the value is "". */
const char *cmdline_get(const char *key);
bool cmdline_has(const char *key);
/* Is word one of the comma-separated words of list (a value such as
 * drivers=fatfs,ata)? */
bool cmdline_list_has(const char *list, const char *word);

#endif
