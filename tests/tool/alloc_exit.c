/* A small program for the --stats tests of test_cmd.sh: allocates and frees
 * a little memory, then exits with the status given.
 *
 *   ward_tool_alloc [STATUS [close-stderr]]
 *
 * close-stderr closes stdout and stderr in an exit handler before leaving, as
 * every coreutils program does (close_stdout): a summary printed at exit must
 * not depend on the program leaving fd 2 open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void close_std(void)
{
    fclose(stdout);
    fclose(stderr);
}

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    if (argc > 2 && strcmp(argv[2], "close-stderr") == 0)
        atexit(close_std);

    enum { N = 2000 };
    static void *blocks[N];
    for (int i = 0; i < N; i++) {
        size_t size = (size_t)(i * 37 % 70000) + 1;
        blocks[i] = malloc(size);
        if (!blocks[i])
            return 99;
        memset(blocks[i], i & 0xff, size);
    }
    for (int i = 0; i < N; i += 2)
        free(blocks[i]);
    return status;
}
