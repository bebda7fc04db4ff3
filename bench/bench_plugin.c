/* The benchmark's Docker volume plugin: answers every call at once, so that what is measured is
 * the client. One thread, poll(2), keep-alive connections; volumes vol0 .. vol<N-1> exist (their
 * directories are made under ROOT at start-up) and always report their mountpoint ROOT/<name>;
 * the List reply is rendered once at start-up. Create, Mount, Unmount and Remove succeed for any
 * name; Get of another name answers Docker's 500 {"Err": ...}, so `mount` of it creates it.
 * Not a plugin to use for anything else: it keeps no state (see volumecli-reference-plugin).
 *
 *   volumecli-bench-plugin SOCKET ROOT N        (SIGTERM/SIGINT stop it and remove SOCKET)
 */
#define _GNU_SOURCE /* accept4, memmem */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum { k_max_connections = 4096, k_request_capacity = 1 << 16, k_reply_capacity = 8192 };

struct Connection {
    int fd;
    size_t used;        /* bytes of `input` received */
    char* input;        /* k_request_capacity bytes */
    const char* output; /* the reply being written (own `reply` or the shared List reply) */
    size_t output_length;
    size_t output_sent;
    char reply[k_reply_capacity];
};

static const char* k_root;
static long k_volumes;
static char* k_list_reply;
static size_t k_list_reply_length;
static volatile sig_atomic_t k_stop;

static void on_signal(int signal_number)
{
    (void)signal_number;
    k_stop = 1;
}

static int is_known_volume(const char* name)
{
    if (strncmp(name, "vol", 3) != 0 || name[3] == '\0') {
        return 0;
    }
    char* end = NULL;
    long number = strtol(name + 3, &end, 10);
    return *end == '\0' && number >= 0 && number < k_volumes;
}

/* The value of the body's "Name" string (no escapes: the benchmark's names are plain). */
static void body_name(const char* body, size_t length, char* name, size_t capacity)
{
    name[0] = '\0';
    const char* key = memmem(body, length, "\"Name\"", 6);
    if (key == NULL) {
        return;
    }
    const char* end = body + length;
    const char* p = key + 6;
    while (p < end && (*p == ' ' || *p == ':')) {
        ++p;
    }
    if (p >= end || *p != '"') {
        return;
    }
    ++p;
    size_t n = 0;
    while (p < end && *p != '"' && n + 1 < capacity) {
        name[n++] = *p++;
    }
    name[n] = '\0';
}

static void set_reply(struct Connection* connection, int status, const char* body)
{
    const size_t length = strlen(body);
    const int header = snprintf(connection->reply, sizeof connection->reply,
                                "HTTP/1.1 %d %s\r\nContent-Type: application/vnd.docker.plugins.v1+json\r\n"
                                "Content-Length: %zu\r\n\r\n",
                                status, status == 200 ? "OK" : "Internal Server Error", length);
    if (header > 0 && (size_t)header + length < sizeof connection->reply) {
        memcpy(connection->reply + header, body, length);
        connection->output_length = (size_t)header + length;
    } else {
        connection->output_length = 0;
    }
    connection->output = connection->reply;
    connection->output_sent = 0;
}

static void answer(struct Connection* connection, const char* call, const char* body, size_t body_length)
{
    char name[256];
    char text[1024];
    body_name(body, body_length, name, sizeof name);
    if (strcmp(call, "Plugin.Activate") == 0) {
        set_reply(connection, 200, "{\"Implements\":[\"VolumeDriver\"]}\n");
    } else if (strcmp(call, "VolumeDriver.List") == 0) {
        connection->output = k_list_reply;
        connection->output_length = k_list_reply_length;
        connection->output_sent = 0;
    } else if (strcmp(call, "VolumeDriver.Capabilities") == 0) {
        set_reply(connection, 200, "{\"Capabilities\":{\"Scope\":\"local\"}}\n");
    } else if (strcmp(call, "VolumeDriver.Get") == 0) {
        if (is_known_volume(name)) {
            snprintf(text, sizeof text, "{\"Volume\":{\"Name\":\"%s\",\"Mountpoint\":\"%s/%s\",\"Status\":{}}}\n", name,
                     k_root, name);
            set_reply(connection, 200, text);
        } else {
            set_reply(connection, 500, "{\"Err\":\"no such volume\"}\n");
        }
    } else if (strcmp(call, "VolumeDriver.Mount") == 0 || strcmp(call, "VolumeDriver.Path") == 0) {
        snprintf(text, sizeof text, "{\"Mountpoint\":\"%s/%s\"}\n", k_root, name);
        set_reply(connection, 200, text);
    } else if (strcmp(call, "VolumeDriver.Create") == 0 || strcmp(call, "VolumeDriver.Remove") == 0 ||
               strcmp(call, "VolumeDriver.Unmount") == 0) {
        set_reply(connection, 200, "{}\n");
    } else {
        set_reply(connection, 500, "{\"Err\":\"unknown call\"}\n");
    }
}

/* Answers the first complete request in the connection's input, if there is one. */
static void handle_input(struct Connection* connection)
{
    connection->input[connection->used] = '\0';
    char* end = strstr(connection->input, "\r\n\r\n");
    if (end == NULL) {
        return;
    }
    size_t body_length = 0;
    for (char* line = strstr(connection->input, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0) {
            body_length = strtoul(line + 17, NULL, 10);
        }
    }
    const size_t header_length = (size_t)(end + 4 - connection->input);
    if (connection->used < header_length + body_length) {
        return;
    }
    char call[128] = "";
    sscanf(connection->input, "POST /%127s", call);
    answer(connection, call, end + 4, body_length);
    const size_t consumed = header_length + body_length;
    memmove(connection->input, connection->input + consumed, connection->used - consumed);
    connection->used -= consumed;
}

static char* render_list(size_t* length)
{
    const size_t capacity = 64 + (size_t)k_volumes * (64 + strlen(k_root));
    char* body = malloc(capacity);
    size_t used = (size_t)snprintf(body, capacity, "{\"Volumes\":[");
    for (long i = 0; i < k_volumes; ++i) {
        used += (size_t)snprintf(body + used, capacity - used, "%s{\"Name\":\"vol%ld\",\"Mountpoint\":\"%s/vol%ld\"}",
                                 i == 0 ? "" : ",", i, k_root, i);
    }
    used += (size_t)snprintf(body + used, capacity - used, "]}\n");
    char* reply = malloc(used + 256);
    *length = (size_t)sprintf(reply,
                              "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.plugins.v1+json\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              used);
    memcpy(reply + *length, body, used);
    *length += used;
    free(body);
    return reply;
}

static void close_connection(struct Connection** connection)
{
    close((*connection)->fd);
    free((*connection)->input);
    free(*connection);
    *connection = NULL;
}

int main(int argc, char** argv)
{
    if (argc != 4) {
        fputs("usage: volumecli-bench-plugin SOCKET ROOT N\n", stderr);
        return 2;
    }
    const char* socket_path = argv[1];
    k_root = argv[2];
    k_volumes = strtol(argv[3], NULL, 10);
    mkdir(k_root, 0755);
    for (long i = 0; i < k_volumes; ++i) {
        char path[4096];
        snprintf(path, sizeof path, "%s/vol%ld", k_root, i);
        mkdir(path, 0755);
    }
    k_list_reply = render_list(&k_list_reply_length);

    struct sigaction action = {.sa_handler = on_signal};
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, socket_path, sizeof address.sun_path - 1);
    unlink(socket_path);
    const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener < 0 || bind(listener, (struct sockaddr*)&address, sizeof address) != 0 ||
        listen(listener, 1024) != 0) {
        perror("volumecli-bench-plugin: listen");
        return 1;
    }

    static struct Connection* connections[k_max_connections];
    static struct pollfd polled[k_max_connections + 1];
    while (!k_stop) {
        nfds_t count = 0;
        polled[count++] = (struct pollfd){.fd = listener, .events = POLLIN};
        for (int i = 0; i < k_max_connections; ++i) {
            if (connections[i] != NULL) {
                const short events = connections[i]->output != NULL ? POLLOUT : POLLIN;
                polled[count++] = (struct pollfd){.fd = connections[i]->fd, .events = events};
            }
        }
        if (poll(polled, count, 200) < 0) {
            continue;
        }
        if (polled[0].revents & POLLIN) {
            for (int free_slot = 0; free_slot < k_max_connections; ++free_slot) {
                if (connections[free_slot] != NULL) {
                    continue;
                }
                const int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                    break;
                }
                struct Connection* connection = calloc(1, sizeof *connection);
                connection->fd = fd;
                connection->input = malloc(k_request_capacity + 1);
                connections[free_slot] = connection;
            }
        }
        for (int i = 0; i < k_max_connections; ++i) {
            struct Connection* connection = connections[i];
            if (connection == NULL) {
                continue;
            }
            if (connection->output == NULL) {
                const ssize_t got =
                    read(connection->fd, connection->input + connection->used, k_request_capacity - connection->used);
                if (got == 0 || (got < 0 && errno != EAGAIN) ||
                    (got > 0 && connection->used + (size_t)got >= k_request_capacity)) {
                    close_connection(&connections[i]);
                    continue;
                }
                if (got > 0) {
                    connection->used += (size_t)got;
                    handle_input(connection);
                }
            }
            while (connection->output != NULL) {
                const ssize_t sent = write(connection->fd, connection->output + connection->output_sent,
                                           connection->output_length - connection->output_sent);
                if (sent < 0) {
                    if (errno != EAGAIN) {
                        close_connection(&connections[i]);
                    }
                    break;
                }
                connection->output_sent += (size_t)sent;
                if (connection->output_sent == connection->output_length) {
                    connection->output = NULL;
                    handle_input(connection); /* a request that arrived with the last one */
                }
            }
        }
    }
    unlink(socket_path);
    return 0;
}
