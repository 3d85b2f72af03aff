#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct note {
    char *body;
    size_t size;
    void (*render)(struct note *);
};

static struct note *slots[8];

static void render_plain(struct note *n) {
    write(1, n->body, n->size);
    write(1, "\n", 1);
}

void render_audit(struct note *n) {
    char buf[128];
    (void)n;
    int fd = open("/service/flag.txt", O_RDONLY);
    if (fd < 0) {
        _exit(1);
    }
    ssize_t got = read(fd, buf, sizeof buf);
    if (got > 0) {
        write(1, buf, (size_t)got);
    }
    _exit(0);
}

static long ask(const char *what) {
    char line[24];
    printf("%s", what);
    if (!fgets(line, sizeof line, stdin)) {
        exit(0);
    }
    return strtol(line, NULL, 10);
}

static long slot_index(void) {
    long i = ask("slot: ");
    if (i < 0 || i >= 8 || !slots[i]) {
        puts("no such note");
        return -1;
    }
    return i;
}

static void create(void) {
    long i = 0;
    while (i < 8 && slots[i]) {
        i++;
    }
    if (i == 8) {
        puts("no free slot");
        return;
    }
    long size = ask("size: ");
    if (size <= 0 || size > 256) {
        puts("bad size");
        return;
    }
    struct note *n = malloc(sizeof *n);
    n->size = (size_t)size;
    n->body = malloc(n->size);
    n->render = render_plain;
    printf("content: ");
    if (read(0, n->body, n->size) <= 0) {
        exit(0);
    }
    slots[i] = n;
    printf("stored in slot %ld\n", i);
}

static void discard(void) {
    long i = slot_index();
    if (i >= 0) {
        free(slots[i]->body);
        free(slots[i]);
        puts("discarded");
    }
}

static void edit(void) {
    long i = slot_index();
    if (i >= 0) {
        printf("content: ");
        if (read(0, slots[i]->body, slots[i]->size) <= 0) {
            exit(0);
        }
    }
}

static void view(void) {
    long i = slot_index();
    if (i >= 0) {
        slots[i]->render(slots[i]);
    }
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    puts("notes: 1) new 2) view 3) edit 4) discard 5) quit");
    for (;;) {
        switch (ask("> ")) {
        case 1:
            create();
            break;
        case 2:
            view();
            break;
        case 3:
            edit();
            break;
        case 4:
            discard();
            break;
        default:
            return 0;
        }
    }
}
