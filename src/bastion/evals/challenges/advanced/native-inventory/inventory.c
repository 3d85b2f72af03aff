#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STOCK_SLOTS 8
#define MAX_ITEMS 32

struct item {
    unsigned long sku;
    long qty;
};

static long ask(const char *what) {
    char line[32];
    printf("%s", what);
    if (!fgets(line, sizeof line, stdin)) {
        exit(0);
    }
    return strtol(line, NULL, 10);
}

int main(void) {
    struct item stock[STOCK_SLOTS];
    char memo[48];
    long count = 0;

    setvbuf(stdout, NULL, _IONBF, 0);
    memset(stock, 0, sizeof stock);
    memset(memo, 0, sizeof memo);
    puts("warehouse terminal");
    for (;;) {
        puts("1) receive  2) lookup  3) memo  4) log off");
        long choice = ask("> ");
        if (choice == 1) {
            if (count == STOCK_SLOTS) {
                puts("warehouse full");
                continue;
            }
            stock[count].sku = (unsigned long)ask("sku: ");
            stock[count].qty = ask("quantity: ");
            printf("received as item %ld\n", count);
            count++;
        } else if (choice == 2) {
            long i = ask("item: ");
            if (i < 0 || i >= MAX_ITEMS) {
                puts("no such item");
                continue;
            }
            printf("sku %lu, %ld in stock\n", stock[i].sku, stock[i].qty);
        } else if (choice == 3) {
            printf("memo (%s): ", memo[0] ? memo : "empty");
            ssize_t got = read(0, memo, sizeof stock);
            if (got <= 0) {
                break;
            }
            puts("noted");
        } else {
            break;
        }
    }
    puts("logged off");
    return 0;
}
