/* greeter: reads a name and says goodbye. Built with -fno-stack-protector -no-pie.
 * unlock() is never called. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FLAG_PATH "/service/flag.txt"

void unlock(void) {
    char flag[128];
    int fd = open(FLAG_PATH, O_RDONLY);
    if (fd < 0) _exit(2);
    ssize_t n = read(fd, flag, sizeof flag);
    if (n > 0) write(STDOUT_FILENO, flag, (size_t)n);
    _exit(0);
}

static void greet(void) {
    char name[32];
    printf("name: ");
    fflush(stdout);
    if (!fgets(name, 256, stdin)) return;  /* reads up to 256 bytes into a 32-byte buffer */
    name[strcspn(name, "\n")] = '\0';
    printf("goodbye, %s\n", name);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    greet();
    return 0;
}
