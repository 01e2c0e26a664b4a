/*
 * test EXPRESSION, [ EXPRESSION ]: the status of a condition, 0 true, 1
 * false, 2 for a malformed expression.  Installed as /bin/test and as
 * /bin/[, which wants "]" as its last argument.
 *
 * The grammar (POSIX's, by recursive descent):
 *   or      := and { -o and }                           (test_or)
 *   and     := not { -a not }                           (test_and)
 *   not     := ! not | primary                          (test_not)
 *   primary := ( or ) | UNARY OPERAND | OPERAND BINARY OPERAND | STRING
 * UNARY: -e -f -d -r -w -x -s (files), -z -n (strings).  BINARY: = !=
 * (strings), -eq -ne -lt -le -gt -ge (integers).  A lone STRING is true
 * if it is not empty.
 */
#include "cmd.h"
#include <string.h>
#include <sys/stat.h>

static char **args;
static int nargs, pos;

static _Noreturn void syntax(const char *what)
{
	errx(2, "%s", what);
}

static const char *next(void)
{
	if (pos >= nargs)
		syntax("argument expected");
	return args[pos++];
}

static long long integer(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		errx(2, "%s: integer expression expected", s);
	return v;
}

static bool file_test(char op, const char *path)
{
	struct stat st;

	if (op == 'r' || op == 'w' || op == 'x')
		return access(path, op == 'r' ? R_OK : op == 'w' ? W_OK : X_OK) == 0;
	if (stat(path, &st) != 0)
		return false;
	return op == 'e' || (op == 'f' && S_ISREG(st.st_mode)) ||
	       (op == 'd' && S_ISDIR(st.st_mode)) || (op == 's' && st.st_size > 0);
}

static bool binary(const char *a, const char *op, const char *b)
{
	static const char *const ops[] = { "-eq", "-ne", "-lt", "-le", "-gt", "-ge" };

	if (strcmp(op, "=") == 0 || strcmp(op, "==") == 0)
		return strcmp(a, b) == 0;
	if (strcmp(op, "!=") == 0)
		return strcmp(a, b) != 0;
	for (int i = 0; i < 6; i++) {
		if (strcmp(op, ops[i]) == 0) {
			long long x = integer(a), y = integer(b);
			bool r[] = { x == y, x != y, x<y, x <= y, x> y, x >= y };

			return r[i];
		}
	}
	errx(2, "%s: unknown operator", op);
}

static bool is_binary_op(const char *s)
{
	static const char *const ops[] = {
		"=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i]) == 0)
			return true;
	return false;
}

static bool test_or(void);

static bool test_primary(void)
{
	const char *a = next();

	if (strcmp(a, "(") == 0) {
		bool v = test_or();

		if (pos >= nargs || strcmp(args[pos++], ")") != 0)
			syntax("')' expected");
		return v;
	}
	if (pos + 1 < nargs && is_binary_op(args[pos])) {
		const char *op = args[pos++];

		return binary(a, op, next());
	}
	if (a[0] == '-' && a[1] && !a[2] && strchr("efdrwxszn", a[1]) && pos < nargs) {
		const char *b = next();

		if (a[1] == 'z' || a[1] == 'n')
			return (*b == '\0') == (a[1] == 'z');
		return file_test(a[1], b);
	}
	return *a != '\0';
}

static bool test_not(void)
{
	if (pos < nargs && strcmp(args[pos], "!") == 0 && pos + 1 < nargs) {
		pos++;
		return !test_not();
	}
	return test_primary();
}

static bool test_and(void)
{
	bool v = test_not();

	while (pos < nargs && strcmp(args[pos], "-a") == 0) {
		pos++;
		v = test_not() && v;
	}
	return v;
}

static bool test_or(void)
{
	bool v = test_and();

	while (pos < nargs && strcmp(args[pos], "-o") == 0) {
		pos++;
		v = test_and() || v;
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	bool v;

	name = name ? name + 1 : argv[0];
	if (strcmp(name, "[") == 0) {
		if (argc < 2 || strcmp(argv[argc - 1], "]") != 0)
			syntax("missing ']'");
		argc--;
	}
	args = argv + 1;
	nargs = argc - 1;
	if (nargs == 0)
		return 1;
	v = test_or();
	if (pos != nargs)
		errx(2, "%s: unexpected argument", args[pos]);
	return v ? 0 : 1;
}
