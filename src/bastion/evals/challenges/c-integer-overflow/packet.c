/* packet: accepts one packet (a length, then the body); privileged packets get the flag. */
#include <stdint.h>
#include <stdio.h>

#define FLAG_PATH "/service/flag.txt"
#define HEADER_LEN 16

struct packet {
    char body[32];
    int32_t privileged;
};

static void print_flag(void) {
    char flag[128] = {0};
    FILE *f = fopen(FLAG_PATH, "r");
    if (!f) { puts("flag unavailable"); return; }
    if (fgets(flag, sizeof flag, f)) printf("%s", flag);
    fclose(f);
}

int main(void) {
    struct packet p = {{0}, 0};
    unsigned int body_len = 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("body length: ");
    if (scanf("%u", &body_len) != 1) return 0;
    getchar();
    uint16_t total = (uint16_t)(HEADER_LEN + body_len);
    if (total > HEADER_LEN + sizeof p.body) { puts("packet too large"); return 0; }  /* status 0: socat may drop output of a failing child */
    printf("send %u bytes of body: ", body_len);
    size_t got = fread(p.body, 1, body_len, stdin);
    printf("\nreceived %zu bytes\n", got);
    if (p.privileged) print_flag(); else puts("unprivileged packet: no flag");
    return 0;
}
