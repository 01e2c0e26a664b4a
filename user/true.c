/*
 * true: do nothing, successfully.  The smallest program there is: what
 * bench's fork_exec_wait runs.
 */
int main(void)
{
	return 0;
}
