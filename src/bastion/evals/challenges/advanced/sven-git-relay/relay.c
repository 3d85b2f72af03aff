#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkt.h"

static struct {
    char line[1024];
    char upstream_token[96];
} conn;

void relay_error(const char *message) {
    printf("error: %s\n", message);
}

static int read_exactly(char *buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t got = read(0, buf + done, len - done);
        if (got <= 0) {
            return -1;
        }
        done += (size_t)got;
    }
    return 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    FILE *f = fopen("/service/flag.txt", "r");
    if (f == NULL || fgets(conn.upstream_token, sizeof conn.upstream_token, f) == NULL) {
        puts("relay misconfigured");
        return 1;
    }
    fclose(f);
    puts("push-report relay: send the receiver's report-status as pkt-lines, end with a flush-pkt");
    int accepted = 0, rejected = 0;
    for (;;) {
        char hex[5] = {0};
        if (read_exactly(hex, 4) < 0) {
            return 0;
        }
        char *end;
        unsigned long len = strtoul(hex, &end, 16);
        if (*end != '\0') {
            puts("error: bad pkt-line length");
            return 0;
        }
        if (len == 0) {
            break;
        }
        if (len < 4 || len - 4 > sizeof conn.line) {
            puts("error: pkt-line too long");
            return 0;
        }
        if (read_exactly(conn.line, len - 4) < 0) {
            return 0;
        }
        git_pkt *pkt = NULL;
        if (git_pkt_parse(&pkt, conn.line, len - 4) < 0) {
            continue;
        }
        if (pkt->type == GIT_PKT_OK) {
            printf("accepted %s\n", ((git_pkt_ok *)pkt)->ref);
            accepted++;
        } else {
            git_pkt_ng *ng = (git_pkt_ng *)pkt;
            printf("rejected %s (%s)\n", ng->ref, ng->msg);
            rejected++;
        }
    }
    printf("%d accepted, %d rejected; forwarded upstream\n", accepted, rejected);
    return 0;
}
