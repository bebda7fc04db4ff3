/* The floor client: the least any client can do for `dvdcli mount`. One connection to the unix
 * socket given, Plugin.Activate, VolumeDriver.Get and VolumeDriver.Mount sent one after the other
 * (each reply read before the next call), the Mountpoint of the last reply printed. No discovery,
 * no JSON library, no logging, no timeouts: what it costs is the floor a real client sits on.
 *
 *   volumecli-floor-client SOCKET VOLUME
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char k_reply[1 << 16];

/* Sends one POST and reads its reply (headers and Content-Length bytes) into k_reply. */
static int call(int fd, const char* path, const char* body)
{
    char request[1024];
    int length = snprintf(request, sizeof request,
                          "POST /%s HTTP/1.1\r\nHost: plugin.moby.localhost\r\n"
                          "Accept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: %zu\r\n\r\n%s",
                          path, strlen(body), body);
    if (length <= 0 || (size_t)length >= sizeof request || write(fd, request, (size_t)length) != length) {
        return -1;
    }
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fd, k_reply + used, sizeof k_reply - 1 - used);
        if (got <= 0) {
            return -1;
        }
        used += (size_t)got;
        k_reply[used] = '\0';
        const char* end = strstr(k_reply, "\r\n\r\n");
        const char* field = strstr(k_reply, "Content-Length:");
        if (end != NULL && field != NULL && field < end) {
            size_t want = (size_t)(end + 4 - k_reply) + strtoul(field + 15, NULL, 10);
            if (used >= want) {
                return strncmp(k_reply, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
            }
        }
        if (used == sizeof k_reply - 1) {
            return -1;
        }
    }
}

int main(int argc, char** argv)
{
    if (argc != 3) {
        fputs("usage: volumecli-floor-client SOCKET VOLUME\n", stderr);
        return 2;
    }
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr*)&address, sizeof address) != 0) {
        perror("connect");
        return 3;
    }
    char body[512];
    if (call(fd, "Plugin.Activate", "") != 0) {
        return 5;
    }
    snprintf(body, sizeof body, "{\"Name\":\"%s\"}", argv[2]);
    if (call(fd, "VolumeDriver.Get", body) != 0) {
        return 1;
    }
    snprintf(body, sizeof body, "{\"Name\":\"%s\",\"ID\":\"floor\"}", argv[2]);
    if (call(fd, "VolumeDriver.Mount", body) != 0) {
        return 1;
    }
    const char* mountpoint = strstr(k_reply, "\"Mountpoint\":\"");
    if (mountpoint == NULL) {
        return 5;
    }
    mountpoint += 14;
    const char* end = strchr(mountpoint, '"');
    if (end == NULL) {
        return 5;
    }
    printf("%.*s\n", (int)(end - mountpoint), mountpoint);
    close(fd);
    return 0;
}
