/*
 * A small printf.  vkformat does the formatting and hands each character to
 * an emit callback, so the same code serves the console (kprintf) and
 * buffers (ksnprintf).  No floating point: the kernel is built without SSE.
 */
#include "lib/kprintf.h"
#include "lib/string.h"
#include "drivers/console.h"

struct spec {
	bool left; /* '-' flag */
	bool zero; /* '0' flag */
	int width;
	int longs; /* number of 'l' (or 'z') modifiers */
};

static int pad(void (*emit)(char, void *), void *arg, char c, int n)
{
	for (int i = 0; i < n; i++)
		emit(c, arg);
	return n > 0 ? n : 0;
}

/* Emit a string s of length len, padded to the field width. */
static int emit_field(void (*emit)(char, void *), void *arg, const struct spec *sp, const char *s,
		      int len)
{
	int n = 0;

	if (!sp->left)
		n += pad(emit, arg, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		emit(s[i], arg);
	n += len;
	if (sp->left)
		n += pad(emit, arg, ' ', sp->width - len);
	return n;
}

static int emit_number(void (*emit)(char, void *), void *arg, const struct spec *sp, uint64_t v,
		       bool negative, int base, bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int len = 0, n = 0;
	int plen = strlen(prefix) + (negative ? 1 : 0);

	do {
		buf[len++] = digits[v % base];
		v /= base;
	} while (v);

	if (!sp->left && !sp->zero)
		n += pad(emit, arg, ' ', sp->width - len - plen);
	if (negative)
		emit('-', arg);
	for (const char *p = prefix; *p; p++)
		emit(*p, arg);
	n += plen;
	if (!sp->left && sp->zero)
		n += pad(emit, arg, '0', sp->width - len - plen);
	for (int i = len - 1; i >= 0; i--)
		emit(buf[i], arg);
	n += len;
	if (sp->left)
		n += pad(emit, arg, ' ', sp->width - len - plen);
	return n;
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	memset(sp, 0, sizeof(*sp));
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	while (*f == 'l' || *f == 'z')
		sp->longs++, f++;
	return f;
}

static int64_t signed_arg(const struct spec *sp, va_list *ap)
{
	return sp->longs ? va_arg(*ap, int64_t) : va_arg(*ap, int);
}

static uint64_t unsigned_arg(const struct spec *sp, va_list *ap)
{
	return sp->longs ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned int);
}

int vkformat(void (*emit)(char c, void *arg), void *arg, const char *fmt, va_list ap0)
{
	va_list ap;
	int n = 0;

	va_copy(ap, ap0);
	for (const char *f = fmt; *f; f++) {
		struct spec sp;

		if (*f != '%') {
			emit(*f, arg);
			n++;
			continue;
		}
		f = parse_spec(f + 1, &sp, &ap);
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v = signed_arg(&sp, &ap);
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
			n += emit_number(emit, arg, &sp, mag, v < 0, 10, false, "");
			break;
		}
		case 'u':
			n += emit_number(emit, arg, &sp, unsigned_arg(&sp, &ap), false, 10, false,
					 "");
			break;
		case 'x':
		case 'X':
			n += emit_number(emit, arg, &sp, unsigned_arg(&sp, &ap), false, 16,
					 *f == 'X', "");
			break;
		case 'o':
			n += emit_number(emit, arg, &sp, unsigned_arg(&sp, &ap), false, 8, false,
					 "");
			break;
		case 'p':
			n += emit_number(emit, arg, &sp, (uint64_t)va_arg(ap, void *), false, 16,
					 false, "0x");
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			n += emit_field(emit, arg, &sp, s, strlen(s));
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			n += emit_field(emit, arg, &sp, &c, 1);
			break;
		}
		case '%':
			emit('%', arg);
			n++;
			break;
		case '\0':
			f--; /* a lone '%' at the end: stop */
			break;
		default: /* unknown: print it as written */
			emit('%', arg);
			emit(*f, arg);
			n += 2;
		}
	}
	va_end(ap);
	return n;
}

static void emit_console(char c, void *arg)
{
	(void)arg;
	console_putc(c);
}

int vkprintf(const char *fmt, va_list ap)
{
	return vkformat(emit_console, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}

struct buffer {
	char *buf;
	size_t size, len;
};

static void emit_buffer(char c, void *arg)
{
	struct buffer *b = arg;

	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

int vksnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buffer b = { buf, size, 0 };
	int n = vkformat(emit_buffer, &b, fmt, ap);

	if (size)
		buf[MIN(b.len, size - 1)] = '\0';
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vksnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
