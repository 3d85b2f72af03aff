#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct entry {
    char author[32];
    char text[96];
};

static struct entry book[4];
static int entries;

void export_backup(void) {
    char buf[128];
    int fd = open("/service/flag.txt", O_RDONLY);
    if (fd < 0) {
        _exit(1);
    }
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        write(1, buf, (size_t)n);
    }
    _exit(0);
}

static long read_number(void) {
    char line[24];
    if (!fgets(line, sizeof line, stdin)) {
        exit(0);
    }
    return strtol(line, NULL, 10);
}

static void sign(const char *who) {
    if (entries >= 4) {
        puts("the book is full");
        return;
    }
    printf("how long is your message? ");
    long len = read_number();
    if (len <= 0 || len > 160) {
        puts("too long");
        return;
    }
    char draft[96];
    memset(draft, 0, sizeof draft);
    printf("message: ");
    ssize_t got = read(0, draft, (size_t)len);
    if (got <= 0) {
        exit(0);
    }
    strncpy(book[entries].author, who, sizeof book[entries].author - 1);
    memcpy(book[entries].text, draft, sizeof book[entries].text);
    entries++;
    puts("saved");
}

static void show(void) {
    for (int i = 0; i < entries; i++) {
        printf("#%d %s: %.96s\n", i, book[i].author, book[i].text);
    }
}

static void session(void) {
    char name[32];
    printf("your name: ");
    if (!fgets(name, sizeof name, stdin)) {
        return;
    }
    name[strcspn(name, "\n")] = 0;
    for (;;) {
        printf("hello, ");
        printf(name);
        printf("\n1) sign  2) read  3) rename  4) leave\n> ");
        switch (read_number()) {
        case 1:
            sign(name);
            break;
        case 2:
            show();
            break;
        case 3:
            printf("new name: ");
            if (!fgets(name, sizeof name, stdin)) {
                return;
            }
            name[strcspn(name, "\n")] = 0;
            break;
        default:
            return;
        }
    }
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    puts("== guestbook ==");
    session();
    puts("goodbye");
    return 0;
}
