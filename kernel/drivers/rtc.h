/*
 * The CMOS real-time clock: the date and time kept by the battery-backed
 * clock chip (Motorola MC146818 and compatibles), read once for
 * CLOCK_REALTIME.  QEMU's -rtc base=... sets it.
 */
#ifndef DRIVERS_RTC_H
#define DRIVERS_RTC_H

#include <types.h>

/* The clock's time as seconds since 1970-01-01 00:00:00 UTC (the RTC is
 * taken to hold UTC, as QEMU's does).  Reads the chip: a few microseconds. */
int64_t rtc_read_epoch(void);

#endif
