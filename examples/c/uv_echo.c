/*
 * uv_echo.c — a TCP echo server and its clients on one libuv loop:
 * CLIENTS connections each send ROUNDS messages and wait for each echo,
 * then everything is closed and the loop runs dry (no defect).
 * Build: cc -g -O0 uv_echo.c -luv -o uv_echo
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CLIENTS 20
#define ROUNDS 10

struct client {
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	int round;
	char buf[64];
};

static uv_tcp_t server;
static struct client clients[CLIENTS];
static int finished, echoed;

static void alloc_buf(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(size);
	buf->len = buf->base ? size : 0;
}

static void on_server_closed(uv_handle_t *h) { free(h); }

struct echo_write {
	uv_write_t req;
	uv_buf_t buf;
};

static void on_echo_written(uv_write_t *req, int status)
{
	(void)status;
	struct echo_write *w = (struct echo_write *)req;
	free(w->buf.base);
	free(w);
}

static void on_server_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	if (n < 0) {
		free(buf->base);
		uv_close((uv_handle_t *)s, on_server_closed);
		return;
	}
	if (n == 0) {
		free(buf->base);
		return;
	}
	struct echo_write *w = malloc(sizeof(*w));
	w->buf = uv_buf_init(buf->base, (unsigned)n);
	echoed++;
	uv_write(&w->req, s, &w->buf, 1, on_echo_written);
}

static void on_connection(uv_stream_t *srv, int status)
{
	if (status < 0)
		return;
	uv_tcp_t *peer = malloc(sizeof(*peer));
	uv_tcp_init(srv->loop, peer);
	if (uv_accept(srv, (uv_stream_t *)peer) == 0)
		uv_read_start((uv_stream_t *)peer, alloc_buf, on_server_read);
	else
		uv_close((uv_handle_t *)peer, on_server_closed);
}

static void send_round(struct client *c);

static void on_client_written(uv_write_t *req, int status) { (void)req, (void)status; }

static void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct client *c = (struct client *)s;
	free(buf->base);
	if (n <= 0)
		return;
	if (++c->round < ROUNDS) {
		send_round(c);
		return;
	}
	uv_close((uv_handle_t *)s, NULL);
	if (++finished == CLIENTS)
		uv_close((uv_handle_t *)&server, NULL);
}

static void send_round(struct client *c)
{
	int n = snprintf(c->buf, sizeof(c->buf), "client %d round %d", (int)(c - clients), c->round);
	uv_buf_t b = uv_buf_init(c->buf, (unsigned)n);
	uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_client_written);
}

static void on_connected(uv_connect_t *req, int status)
{
	struct client *c = req->data;
	if (status < 0) {
		fprintf(stderr, "connect: %s\n", uv_strerror(status));
		exit(1);
	}
	uv_read_start((uv_stream_t *)&c->tcp, alloc_buf, on_client_read);
	send_round(c);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(loop, &server);
	uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
	if (uv_listen((uv_stream_t *)&server, 128, on_connection) != 0)
		return 1;
	int len = sizeof(addr);
	uv_tcp_getsockname(&server, (struct sockaddr *)&addr, &len);
	for (int i = 0; i < CLIENTS; i++) {
		uv_tcp_init(loop, &clients[i].tcp);
		clients[i].connect.data = &clients[i];
		uv_tcp_connect(&clients[i].connect, &clients[i].tcp, (const struct sockaddr *)&addr, on_connected);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	printf("echoed %d\n", echoed);
	return uv_loop_close(loop) == 0 ? 0 : 3;
}
