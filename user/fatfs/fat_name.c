/*
 * fat_name.c -- file names: long names in UTF-16, 8.3 names, and the rules
 * that connect them.
 *
 * Every file on a FAT volume has an 8.3 name ("short name") in its directory
 * entry: 8 bytes of base name and 3 of extension, upper case, space-padded,
 * in an OEM code page.  VFAT adds a long name of up to 255 UTF-16 units in
 * extra slots before the entry (fat_dir.c reads and writes them).  Callers
 * of the library speak UTF-8, so this file converts both ways (code points
 * above U+FFFF become surrogate pairs; a lone surrogate read from disk
 * becomes U+FFFD).
 *
 * A new name is stored (spec "Naming Conventions and Long Names"):
 *
 *   - as an 8.3 name alone when it is one: at most 8 + 3 characters that
 *     8.3 names allow, one dot, and each part in one case -- "README.TXT",
 *     or "readme.txt" with the Windows NT case bits (fat_name_plain83);
 *   - otherwise as a long name plus an 8.3 alias made by the spec's
 *     "Basis-Name Generation Algorithm" (fat_name_basis: upper case, '_' for
 *     what 8.3 cannot hold, spaces and leading dots dropped, 8 characters up
 *     to the first dot and 3 after the last) and, when the basis is lossy or
 *     the long name does not fit it, the "Numeric-Tail Generation Algorithm"
 *     (fat_name_tail: "LONGFI~1.TXT"; fat_dir.c picks the first free n).
 *
 * Names compare without regard to ASCII case (spec "Name Matching In Short
 * & Long Names" asks for case-insensitive matching; other letters compare
 * exactly).  8.3 bytes of 0x80 and above, which this library never writes,
 * are shown as Latin-1.
 */
#include <errno.h>
#include <string.h>

#include "fat_int.h"

/* Characters no name may hold (spec "Naming Conventions and Long Names"). */
static int fat_char_forbidden(unsigned char c)
{
	return c < 0x20 || strchr("\"*/:<>?\\|", c) != NULL;
}

/* Characters a long name may hold that an 8.3 name may not. */
static int fat_char_long_only(unsigned char c)
{
	return c == ' ' || c == '.' || strchr("+,;=[]", c) != NULL;
}

static int fat_is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static int fat_is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static unsigned char fat_upper(unsigned char c)
{
	return fat_is_lower(c) ? (unsigned char)(c - 'a' + 'A') : c;
}

/*
 * One code point from UTF-8 s[*i..len), strict: no overlong forms, no
 * surrogates, at most U+10FFFF.  Returns it, or -1 for a bad sequence;
 * advances *i past what it used (at least one byte).
 */
static int32_t fat_utf8_next(const char *s, size_t len, size_t *i)
{
	static const int32_t least[4] = { 0, 0x80, 0x800, 0x10000 };
	const unsigned char *p = (const unsigned char *)s + *i;
	int more;
	int32_t cp;

	if (p[0] < 0x80)
		more = 0;
	else if (p[0] >= 0xC2 && p[0] < 0xE0)
		more = 1;
	else if (p[0] >= 0xE0 && p[0] < 0xF0)
		more = 2;
	else if (p[0] >= 0xF0 && p[0] < 0xF5)
		more = 3;
	else
		more = -1;
	if (more < 0 || (size_t)more >= len - *i) {
		++*i;
		return -1;
	}
	cp = more ? p[0] & (0x3F >> more) : p[0];
	for (int k = 1; k <= more; k++) {
		if ((p[k] & 0xC0) != 0x80) {
			++*i;
			return -1;
		}
		cp = cp << 6 | (p[k] & 0x3F);
	}
	*i += (size_t)more + 1;
	if (cp < least[more] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
		return -1;
	return cp;
}

/*
 * name[0..len) in UTF-16 into units (NULL: count only).  Returns the number
 * of units, -EINVAL for bad UTF-8, -ENAMETOOLONG past FAT_NAME_MAX units.
 */
int fat_name_utf16(const char *name, size_t len, uint16_t *units)
{
	int n = 0;
	int32_t cp;

	for (size_t i = 0; i < len;) {
		cp = fat_utf8_next(name, len, &i);
		if (cp < 0)
			return -EINVAL;
		if (n + (cp >= 0x10000) >= FAT_NAME_MAX)
			return -ENAMETOOLONG;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			if (units) {
				units[n] = (uint16_t)(0xD800 | cp >> 10);
				units[n + 1] = (uint16_t)(0xDC00 | (cp & 0x3FF));
			}
			n += 2;
		} else {
			if (units)
				units[n] = (uint16_t)cp;
			n++;
		}
	}
	return n;
}

static char *fat_put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		*out++ = (char)cp;
	} else if (cp < 0x800) {
		*out++ = (char)(0xC0 | cp >> 6);
		*out++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*out++ = (char)(0xE0 | cp >> 12);
		*out++ = (char)(0x80 | (cp >> 6 & 0x3F));
		*out++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*out++ = (char)(0xF0 | cp >> 18);
		*out++ = (char)(0x80 | (cp >> 12 & 0x3F));
		*out++ = (char)(0x80 | (cp >> 6 & 0x3F));
		*out++ = (char)(0x80 | (cp & 0x3F));
	}
	return out;
}

/* n UTF-16 units (n <= FAT_NAME_MAX) to UTF-8 in out[FAT_NAME_BUF]. */
void fat_name_utf8(const uint16_t *units, int n, char *out)
{
	uint32_t cp;

	for (int i = 0; i < n; i++) {
		cp = units[i];
		if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < n && units[i + 1] >= 0xDC00 &&
		    units[i + 1] < 0xE000)
			cp = 0x10000 + ((cp - 0xD800) << 10 | (units[++i] - 0xDC00));
		else if (cp >= 0xD800 && cp < 0xE000)
			cp = 0xFFFD;
		out = fat_put_utf8(out, cp);
	}
	*out = '\0';
}

/*
 * Check a name for creation and drop its trailing dots (as Linux's vfat
 * does).  *len gets the length kept.  Returns its length in UTF-16 units,
 * -EINVAL (empty, ".", "..", a forbidden character, a trailing space, bad
 * UTF-8) or -ENAMETOOLONG.
 */
int fat_name_check(const char *name, size_t *len)
{
	size_t n = strlen(name);

	if (n >= FAT_NAME_BUF)
		return -ENAMETOOLONG;
	while (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || name[n - 1] == ' ')
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (fat_char_forbidden((unsigned char)name[i]))
			return -EINVAL;
	*len = n;
	return fat_name_utf16(name, n, NULL);
}

/* a[0..alen) and the string b, equal but for ASCII case? */
int fat_name_equal(const char *a, size_t alen, const char *b)
{
	for (size_t i = 0; i < alen; i++)
		if (b[i] == '\0' ||
		    fat_upper((unsigned char)a[i]) != fat_upper((unsigned char)b[i]))
			return 0;
	return b[alen] == '\0';
}

/*
 * One part (base or extension) of a plain 8.3 name into dst, space-padded
 * to max.  Returns -1 if it does not qualify, else NTRES bit lower when the
 * part is all lower case.
 */
static int fat_plain_part(const char *s, size_t n, uint8_t *dst, size_t max, int lower)
{
	int has_lower = 0, has_upper = 0;

	if (n > max)
		return -1;
	memset(dst, ' ', max);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || fat_char_long_only(c))
			return -1;
		has_lower |= fat_is_lower(c);
		has_upper |= fat_is_upper(c);
		dst[i] = fat_upper(c);
	}
	if (has_lower && has_upper)
		return -1;
	return has_lower ? lower : 0;
}

/*
 * Is name[0..len) (already checked) a plain 8.3 name, stored with no long
 * name?  Returns 1 with raw and the case bits *ntres, or 0.
 */
int fat_name_plain83(const char *name, size_t len, uint8_t raw[11], uint8_t *ntres)
{
	const char *dot = memchr(name, '.', len);
	size_t nb = dot ? (size_t)(dot - name) : len;
	int b, e;

	if (nb == 0)
		return 0;
	b = fat_plain_part(name, nb, raw, 8, NTRES_LOWER_BASE);
	e = dot ? fat_plain_part(dot + 1, len - nb - 1, raw + 8, 3, NTRES_LOWER_EXT)
		: fat_plain_part("", 0, raw + 8, 3, 0);
	if (b < 0 || e < 0)
		return 0;
	*ntres = (uint8_t)(b | e);
	return 1;
}

/*
 * The basis name of name[0..len) (spec "The Basis-Name Generation
 * Algorithm") into raw.  Returns 1 if a numeric tail is required (the
 * conversion lost something or the name does not fit 8.3), else 0.
 */
int fat_name_basis(const char *name, size_t len, uint8_t raw[11])
{
	unsigned char conv[FAT_NAME_BUF];
	size_t n = 0, start = 0, nb = 0, ne = 0, last = 0, i;
	int tail = 0, dots = 0;
	int32_t cp;

	/* Upper case, '_' for what an 8.3 name cannot hold, no spaces. */
	for (i = 0; i < len;) {
		cp = fat_utf8_next(name, len, &i);
		if (cp == ' ') {
			tail = 1;
			continue;
		}
		if (cp < 0 || cp >= 0x80 || (cp != '.' && fat_char_long_only((unsigned char)cp))) {
			tail = 1;
			cp = '_';
		}
		conv[n++] = fat_upper((unsigned char)cp);
	}
	/* No leading periods; then find the last period. */
	while (start < n && conv[start] == '.')
		start++, tail = 1;
	for (i = start; i < n; i++)
		if (conv[i] == '.')
			dots++, last = i;
	/* Up to 8 characters before the first period, 3 after the last. */
	memset(raw, ' ', 11);
	for (i = start; i < n && conv[i] != '.'; i++) {
		if (nb < 8)
			raw[nb++] = conv[i];
		else
			tail = 1;
	}
	for (i = last + 1; dots > 0 && i < n; i++) {
		if (ne < 3)
			raw[8 + ne++] = conv[i];
		else
			tail = 1;
	}
	if (nb == 0) /* only dots and spaces: fat_name_check refuses such names */
		raw[nb++] = '_', tail = 1;
	return tail || dots > 1;
}

/*
 * raw = basis with the numeric tail "~n" (1 <= n <= 999999) ending its base
 * name: the base is cut so that base and tail fit in 8 characters.
 */
void fat_name_tail(uint8_t raw[11], const uint8_t basis[11], uint32_t n)
{
	char tail[8];
	int t = 0, keep = 0;

	for (uint32_t m = n; m > 0; m /= 10)
		t++;
	tail[0] = '~';
	for (int k = t; k > 0; k--, n /= 10)
		tail[k] = (char)('0' + n % 10);
	t++;
	while (keep < 8 - t && basis[keep] != ' ')
		keep++;
	memcpy(raw, basis, 11);
	memcpy(raw + keep, tail, (size_t)t);
	memset(raw + keep + t, ' ', (size_t)(8 - keep - t));
}

/* The checksum long-name slots carry of their 8.3 name (spec "FAT Long Directory Entries"). */
uint8_t fat_name_checksum(const uint8_t raw[11])
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) ? 0x80 : 0) + (sum >> 1) + raw[i]);
	return sum;
}

/* Bytes b[0..n) of an 8.3 part, as shown (display) or as stored. */
static char *fat_short_part(char *out, const uint8_t *b, int n, int lower, int display)
{
	while (n > 0 && b[n - 1] == ' ')
		n--;
	for (int i = 0; i < n; i++) {
		uint8_t c = b[i];
		if (display && c >= 0x80)
			out = fat_put_utf8(out, c);
		else
			*out++ = (char)(c >= 0x80                  ? '?'
					: lower && fat_is_upper(c) ? c - 'A' + 'a'
								   : c);
	}
	return out;
}

/*
 * The 8.3 name of entry de as "BASE.EXT".  display: with the NT case bits
 * applied and OEM bytes as Latin-1 (out[FAT_NAME_BUF]); else as stored
 * with '?' for OEM bytes (out[13]).
 */
void fat_name_short(const uint8_t *de, char *out, int display)
{
	uint8_t base[8];
	int ext = memcmp(de + 8, "   ", 3) != 0;

	memcpy(base, de, 8);
	if (base[0] == SLOT_KANJI_E5)
		base[0] = 0xE5;
	out = fat_short_part(out, base, 8, display && (de[DIR_NTRES] & NTRES_LOWER_BASE), display);
	if (ext) {
		*out++ = '.';
		out = fat_short_part(out, de + 8, 3, display && (de[DIR_NTRES] & NTRES_LOWER_EXT),
				     display);
	}
	*out = '\0';
}
