/*
 * fat_time.c -- FAT dates and times to and from seconds since the epoch.
 *
 * A directory entry records three moments (spec "FAT Directory Structure",
 * "Date and Time Formats"): creation (date, time, and DIR_CrtTimeTenth in
 * 10 ms units for the odd second), last write (date and time), last access
 * (date only).  The 16-bit fields are
 *
 *   date  bits 15-9 year - 1980 (0..127), 8-5 month (1..12), 4-0 day (1..31)
 *   time  bits 15-11 hours (0..23), 10-5 minutes (0..59), 4-0 seconds / 2
 *
 * so a time has 2-second resolution and the range is 1980-01-01 to
 * 2107-12-31; times outside it are clamped.  The conversion between days
 * and civil dates is Howard Hinnant's (proleptic Gregorian calendar, valid
 * for any year), which needs no tables.  FAT has no time zone: the library
 * reads and writes the fields as UTC.
 */
#include "fat_int.h"

#define DAY 86400

static int64_t fat_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31, may overflow). */
static int64_t fat_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = fat_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void fat_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = fat_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/*
 * t in FAT's date and time fields, clamped to 1980-01-01 .. 2107-12-31
 * 23:59:58.  Returns t as clamped.
 */
int64_t fat_time_encode(int64_t t, uint16_t *date, uint16_t *time)
{
	int64_t lo = fat_days_from_civil(1980, 1, 1) * DAY;
	int64_t hi = fat_days_from_civil(2107, 12, 31) * DAY + DAY - 2;
	int64_t days, secs, y;
	int m, d;

	t = t < lo ? lo : t > hi ? hi : t;
	days = fat_floor_div(t, DAY);
	secs = t - days * DAY;
	fat_civil_from_days(days, &y, &m, &d);
	*date = (uint16_t)((y - 1980) << 9 | m << 5 | d);
	*time = (uint16_t)(secs / 3600 << 11 | secs / 60 % 60 << 5 | secs % 60 / 2);
	return t;
}

/* FAT date and time fields as seconds since the epoch (month 0 or day 0 read as 1). */
int64_t fat_time_decode(uint16_t date, uint16_t time)
{
	int64_t m = date >> 5 & 0x0F, d = date & 0x1F;

	m = m == 0 ? 1 : m > 12 ? 12 : m;
	d = d == 0 ? 1 : d;
	return fat_days_from_civil(1980 + (date >> 9), m, d) * DAY + (time >> 11) * 3600 +
	       (time >> 5 & 0x3F) * 60 + (time & 0x1F) * 2;
}

/* Record the clock's time in entry de as its creation, write and/or access time. */
void fat_time_stamp(struct fat_volume *v, uint8_t *de, int which)
{
	uint16_t date, time;
	int64_t t = fat_time_encode(v->clock ? v->clock(v->clock_arg) : 0, &date, &time);

	if (which & STAMP_CREATE) {
		fat_put16(de + DIR_CRT_DATE, date);
		fat_put16(de + DIR_CRT_TIME, time);
		/* The 10 ms count adds the odd second the 2-second field cannot hold. */
		de[DIR_CRT_TENTH] = (uint8_t)(t % 2 ? 100 : 0);
	}
	if (which & STAMP_WRITE) {
		fat_put16(de + DIR_WRT_DATE, date);
		fat_put16(de + DIR_WRT_TIME, time);
	}
	if (which & STAMP_ACCESS)
		fat_put16(de + DIR_ACC_DATE, date);
	fat_dirty(v, de, DIR_ENTRY);
}
