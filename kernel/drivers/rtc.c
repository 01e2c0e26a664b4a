/*
 * The CMOS real-time clock (see rtc.h).
 *
 * The chip's registers are read through two ports: write the register
 * number to 0x70, read its value from 0x71.  Registers 0, 2, 4, 7, 8, 9 are
 * seconds, minutes, hours, day, month, year (two digits); register 0x0a
 * bit 7 says an update is in progress (the values may be inconsistent), and
 * register 0x0b says how they are coded: bit 2 set = binary, else BCD; bit 1
 * set = 24-hour, else 12-hour with bit 7 of the hour meaning PM.  We read
 * all of them until two reads in a row agree, outside an update.
 */
#include "drivers/rtc.h"
#include "arch/x86_64/x86.h"
#include "lib/spinlock.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

struct rtc_time {
	uint8_t sec, min, hour, day, mon, year;
};

static void read_raw(struct rtc_time *t)
{
	while (cmos_read(0x0a) & 0x80)
		;
	t->sec = cmos_read(0x00);
	t->min = cmos_read(0x02);
	t->hour = cmos_read(0x04);
	t->day = cmos_read(0x07);
	t->mon = cmos_read(0x08);
	t->year = cmos_read(0x09);
}

static uint8_t from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Days from 1970-01-01 to year-mon-day (proleptic Gregorian; Howard
 * Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

int64_t rtc_read_epoch(void)
{
	struct rtc_time a, b;
	uint64_t flags = irq_save();
	uint8_t status_b;
	bool pm;

	read_raw(&a);
	for (;;) {
		read_raw(&b);
		if (a.sec == b.sec && a.min == b.min && a.hour == b.hour && a.day == b.day &&
		    a.mon == b.mon && a.year == b.year)
			break;
		a = b;
	}
	status_b = cmos_read(0x0b);
	irq_restore(flags);

	pm = b.hour & 0x80;
	b.hour &= 0x7f;
	if (!(status_b & 0x04)) {
		b.sec = from_bcd(b.sec);
		b.min = from_bcd(b.min);
		b.hour = from_bcd(b.hour);
		b.day = from_bcd(b.day);
		b.mon = from_bcd(b.mon);
		b.year = from_bcd(b.year);
	}
	if (!(status_b & 0x02))
		b.hour = (uint8_t)(b.hour % 12 + (pm ? 12 : 0));
	return days_from_civil(2000 + b.year, b.mon, b.day) * 86400 + b.hour * 3600 + b.min * 60 +
	       b.sec;
}
