/*
 * snake: the game, in the console's x,y mode.  Steer with the arrow keys,
 * w a s d or h j k l; eat the food (*) to grow, 10 points each; the walls
 * and your own body kill.  'q' or Ctrl-C quits (the terminal is in raw
 * mode without signals: Ctrl-C is a key like the others).
 *
 * `snake -demo SEED` plays by itself, as fast as the screen goes, and
 * prints "snake: score S length L moves M (dead|done)" at the end: the
 * graders replay the same game from SEED to check it.  The rules, exact
 * because of that:
 *
 *   - the board is the screen: row 0 the score, walls on row 1, the last
 *     row, column 0 and the last column; the snake starts with its head at
 *     (cols / 2, rows / 2) and two cells to the left, heading right;
 *   - the food goes on the k-th free cell inside the walls (rows from the
 *     top, left to right), k = xorshift32() % free cells; seed 0 counts
 *     as 1;
 *   - a move into a wall or into the body (its tail excepted, which moves
 *     on) ends the game; onto the food grows the snake by one;
 *   - the demo tries up, right, down, left (never straight back) and takes
 *     the first of the safe moves that bring it closest to the food (the
 *     sum of the distances in x and y); with no safe move it goes on and
 *     dies.  It stops after DEMO_MOVES moves, or when the board is full.
 */
#include <os/os.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xyterm.h"

#define DEMO_MOVES 2000
#define TICK_MS    120
#define MAX_CELLS  (OS_CONSOLE_MAX_COLS * OS_CONSOLE_MAX_ROWS)

#define WALL  OS_CELL('#', 8, 0)
#define BODY  OS_CELL('o', 10, 0)
#define HEAD  OS_CELL('@', 14, 0)
#define FOOD  OS_CELL('*', 12, 0)
#define BLANK OS_CELL(' ', 7, 0)
#define SCORE OS_CELL(0, 0, 7)

struct point {
	int x, y;
};

static const struct point dirs[4] = { { 0, -1 }, { 1, 0 }, { 0, 1 }, { -1, 0 } };

static struct {
	int cols, rows;
	struct point body[MAX_CELLS]; /* a ring: body[tail .. tail + len) */
	int tail, len, dir;
	struct point food;
	int score, moves;
	unsigned rng;
	bool over; /* dead, or no room for food */
} game;

static volatile sig_atomic_t quit;

static void snake_on_sigint(int sig)
{
	(void)sig;
	quit = 1;
}

static unsigned snake_random(void)
{
	game.rng ^= game.rng << 13;
	game.rng ^= game.rng >> 17;
	game.rng ^= game.rng << 5;
	return game.rng;
}

/* ---- drawing ----------------------------------------------------------- */

static void snake_put(int x, int y, unsigned short cell)
{
	struct os_cell c = { x, y, cell };

	os_console_put(&c, 1);
}

static void snake_score(void)
{
	char line[OS_CONSOLE_MAX_COLS + 1];
	int n = snprintf(line, sizeof(line), " snake  score %d  length %d", game.score, game.len);

	for (int x = 0; x < game.cols; x++)
		snake_put(x, 0, SCORE | (unsigned char)(x < n ? line[x] : ' '));
}

static void snake_walls(void)
{
	for (int x = 0; x < game.cols; x++) {
		snake_put(x, 1, WALL);
		snake_put(x, game.rows - 1, WALL);
	}
	for (int y = 1; y < game.rows; y++) {
		snake_put(0, y, WALL);
		snake_put(game.cols - 1, y, WALL);
	}
}

/* ---- the rules --------------------------------------------------------- */

static struct point *snake_seg(int i)
{
	return &game.body[(game.tail + i) % MAX_CELLS];
}

static struct point snake_head(void)
{
	return *snake_seg(game.len - 1);
}

static bool snake_wall(struct point p)
{
	return p.x <= 0 || p.x >= game.cols - 1 || p.y <= 1 || p.y >= game.rows - 1;
}

/* Is p in the body?  The tail counts only if it stays (skip_tail false). */
static bool snake_on_body(struct point p, bool skip_tail)
{
	for (int i = skip_tail ? 1 : 0; i < game.len; i++)
		if (snake_seg(i)->x == p.x && snake_seg(i)->y == p.y)
			return true;
	return false;
}

static void snake_place_food(void)
{
	int free_cells = (game.cols - 2) * (game.rows - 3) - game.len;
	int k;

	if (free_cells <= 0) {
		game.over = true;
		return;
	}
	k = snake_random() % free_cells;
	for (int y = 2; y < game.rows - 1; y++)
		for (int x = 1; x < game.cols - 1; x++) {
			struct point p = { x, y };

			if (!snake_on_body(p, false) && k-- == 0) {
				game.food = p;
				snake_put(x, y, FOOD);
				return;
			}
		}
}

static void snake_start(unsigned seed)
{
	game.rng = seed ? seed : 1;
	game.tail = 0;
	game.len = 3;
	game.dir = 1;
	for (int i = 0; i < 3; i++)
		game.body[i] = (struct point){ game.cols / 2 - 2 + i, game.rows / 2 };
	os_console_clear(BLANK);
	snake_walls();
	for (int i = 0; i < game.len; i++)
		snake_put(snake_seg(i)->x, snake_seg(i)->y, i == game.len - 1 ? HEAD : BODY);
	snake_place_food();
	snake_score();
	os_console_flush(NULL);
}

static struct point snake_next(int dir)
{
	struct point h = snake_head();

	return (struct point){ h.x + dirs[dir].x, h.y + dirs[dir].y };
}

/* One move in direction dir. */
static void snake_step(int dir)
{
	struct point head = snake_head(), next;
	bool eats;

	game.dir = dir;
	next = snake_next(dir);
	game.moves++;
	if (snake_wall(next) || snake_on_body(next, true)) {
		game.over = true;
		return;
	}
	eats = next.x == game.food.x && next.y == game.food.y;
	if (!eats) {
		struct point *t = snake_seg(0);

		snake_put(t->x, t->y, BLANK);
		game.tail = (game.tail + 1) % MAX_CELLS;
		game.len--;
	}
	snake_put(head.x, head.y, BODY);
	*snake_seg(game.len++) = next;
	snake_put(next.x, next.y, HEAD);
	if (eats) {
		game.score += 10;
		snake_place_food();
		snake_score();
	}
	os_console_flush(NULL);
}

/* The demo's choice (see the rules above). */
static int snake_demo_dir(void)
{
	int best = game.dir, best_dist = -1;

	for (int d = 0; d < 4; d++) {
		struct point p = snake_next(d);
		int dist = abs(p.x - game.food.x) + abs(p.y - game.food.y);

		if (d == (game.dir + 2) % 4 || snake_wall(p) || snake_on_body(p, true))
			continue;
		if (best_dist < 0 || dist < best_dist)
			best = d, best_dist = dist;
	}
	return best;
}

/* ---- keys -------------------------------------------------------------- */

/* The direction a key asks for, -1 for none; 'q' sets quit.  Arrow keys
 * arrive as ESC [ A..D. */
static int snake_key(char c)
{
	static const char keys[] = "wdsakljh"; /* up right down left, twice */
	static int escape;
	const char *at;

	if (escape == 2) {
		escape = 0;
		return c == 'A' ? 0 : c == 'C' ? 1 : c == 'B' ? 2 : c == 'D' ? 3 : -1;
	}
	if (escape == 1) {
		escape = c == '[' ? 2 : 0;
		return -1;
	}
	if (c == '\x1b')
		escape = 1;
	if (c == 'q' || c == 'Q' || c == 3) /* 3: Ctrl-C, ISIG being off */
		quit = 1;
	at = c ? strchr(keys, c) : NULL;
	return at ? (int)(at - keys) % 4 : -1;
}

/* Wait up to ms for keys; the last direction asked for (not straight
 * back), or the current one. */
static int snake_read_keys(int ms)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	int dir = game.dir;
	char c;

	while (poll(&pfd, 1, ms) > 0 && read(0, &c, 1) == 1) {
		int d = snake_key(c);

		if (d >= 0 && d != (game.dir + 2) % 4)
			dir = d;
		ms = 0;
	}
	return dir;
}

int main(int argc, char **argv)
{
	struct xyterm xt;
	bool demo = argc > 1 && strcmp(argv[1], "-demo") == 0;
	unsigned seed = demo && argc > 2 ? strtoul(argv[2], NULL, 0) : (unsigned)getpid();

	if (xyterm_begin(&xt, "snake") != 0)
		return 1;
	signal(SIGINT, snake_on_sigint);
	game.cols = xt.info.cols;
	game.rows = xt.info.rows;
	snake_start(seed);
	while (!game.over && !quit && !(demo && game.moves >= DEMO_MOVES)) {
		int dir = snake_read_keys(demo ? 0 : TICK_MS);

		snake_step(demo ? snake_demo_dir() : dir);
	}
	xyterm_end(&xt);
	printf("snake: score %d length %d moves %d (%s)\n", game.score, game.len, game.moves,
	       game.over ? "dead" : "done");
	return 0;
}
