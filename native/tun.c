/*
 * tuntcp_tun: a small Node-API addon for Linux TUN devices (DESIGN.md decisions 1 and 2).
 *
 *   open(name, { netns, vnetHdr, offload, mtu, txqueuelen, up }) -> { fd, name }
 *       Opens /dev/net/tun (IFF_TUN|IFF_NO_PI[|IFF_VNET_HDR]), optionally inside the named
 *       network namespace (setns around the open), configures MTU / txqueuelen / up with
 *       ioctls in that namespace, and returns a non-blocking fd and the interface name.
 *   attach(fd, buffer: ArrayBuffer, meta: Int32Array, readSize, callback(count)) -> handle
 *       Owns the fd from then on. When reading is started, every readable event drains the
 *       waiting packets into `buffer` (packet i at meta[2i], length meta[2i+1]) and calls
 *       callback(count) once per batch.
 *   startReading(h), stopReading(h), ref(h), unref(h), close(h)
 *   writeBatch(h, packets: Uint8Array[], header?: Uint8Array) -> packets written
 *       Never blocks: a packet the kernel refuses (EAGAIN, bad packet) is dropped, not retried.
 *   closeFd(fd)   for an fd that was opened but never attached.
 * Errors thrown carry `code` = the errno name (EPERM, ENOENT, ...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "tun_common.h"

#define MAX_WRITE_IOV 2

typedef struct {
  napi_env env;
  int fd;
  int vnet_hdr;
  int poll_initialized;
  int reading;
  int referenced;
  int closed;
  int poll_closed;
  int finalized;
  uv_poll_t poll;
  napi_ref callback_ref;
  napi_ref buffer_ref;
  napi_ref meta_ref;
  napi_ref self_ref;     /* strong while reading: an active device keeps its JS handle alive */
  napi_async_context async_context;
  uint8_t* buffer;
  size_t buffer_length;
  int32_t* meta;
  size_t max_packets;
  size_t read_size;
} tun_handle;

/* ---------- handle lifetime ---------- */

static void release_refs(tun_handle* h) {
  napi_env env = h->env;
  if (h->callback_ref) { napi_delete_reference(env, h->callback_ref); h->callback_ref = NULL; }
  if (h->buffer_ref) { napi_delete_reference(env, h->buffer_ref); h->buffer_ref = NULL; }
  if (h->meta_ref) { napi_delete_reference(env, h->meta_ref); h->meta_ref = NULL; }
  if (h->self_ref) { napi_delete_reference(env, h->self_ref); h->self_ref = NULL; }
  if (h->async_context) { napi_async_destroy(env, h->async_context); h->async_context = NULL; }
}

/* Memory goes when both libuv has closed the poll handle and the JS handle is finalized. */
static void maybe_free(tun_handle* h) {
  if (h->finalized && (!h->poll_initialized || h->poll_closed)) free(h);
}

static void on_poll_closed(uv_handle_t* handle) {
  tun_handle* h = handle->data;
  h->poll_closed = 1;
  maybe_free(h);
}

static void cleanup_hook(void* arg);

/* Stops polling, closes the poll handle and the fd at once (the device disappears with the fd). */
static void close_handle(tun_handle* h) {
  if (h->closed) return;
  h->closed = 1;
  h->reading = 0;
  h->buffer = NULL;
  h->meta = NULL;
  if (h->poll_initialized) {
    uv_poll_stop(&h->poll);
    uv_close((uv_handle_t*)&h->poll, on_poll_closed);
  }
  release_refs(h);
  napi_remove_env_cleanup_hook(h->env, cleanup_hook, h);
  close(h->fd);
  h->fd = -1;
}

static void cleanup_hook(void* arg) {
  close_handle(arg);
}

static void finalize_handle(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  tun_handle* h = data;
  close_handle(h);
  h->finalized = 1;
  maybe_free(h);
}

static tun_handle* get_handle(napi_env env, napi_value value) {
  void* data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) {
    throw_type(env, "expected a TUN handle");
    return NULL;
  }
  napi_get_value_external(env, value, &data);
  return data;
}

/* ---------- reading ---------- */

static void report_exception(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value error;
  napi_get_and_clear_last_exception(env, &error);
  napi_fatal_exception(env, error);
}

static void stop_reading(tun_handle* h) {
  uint32_t count;
  uv_poll_stop(&h->poll);
  h->reading = 0;
  napi_reference_unref(h->env, h->self_ref, &count);
  napi_reference_unref(h->env, h->callback_ref, &count);
}

static void on_readable(uv_poll_t* poll, int status, int events) {
  tun_handle* h = poll->data;
  (void)events;
  if (h->closed || !h->reading) return;
  napi_env env = h->env;
  size_t count = 0;
  size_t offset = 0;
  int drain_error = 0;
  if (status == 0) {
    while (count < h->max_packets && offset + h->read_size <= h->buffer_length) {
      ssize_t n = read(h->fd, h->buffer + offset, h->read_size);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) drain_error = errno;
        break;
      }
      if (n == 0) break;
      h->meta[2 * count] = (int32_t)offset;
      h->meta[2 * count + 1] = (int32_t)n;
      count++;
      /* Keep packet starts 8-byte aligned so typed views over headers stay cheap. */
      offset += ((size_t)n + 7) & ~(size_t)7;
    }
  } else {
    drain_error = EIO;
  }
  if (count == 0 && drain_error == 0) return;

  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, recv, argv[2], result;
  if (napi_get_reference_value(env, h->callback_ref, &callback) == napi_ok && callback != NULL) {
    napi_get_global(env, &recv);
    napi_create_uint32(env, (uint32_t)count, &argv[0]);
    napi_create_int32(env, drain_error, &argv[1]);
    /* make_callback runs microtasks afterwards, like any I/O callback of Node. */
    napi_status call_status = napi_make_callback(env, h->async_context, recv, callback, 2, argv, &result);
    if (call_status != napi_ok) report_exception(env);
  }
  napi_close_handle_scope(env, scope);
  /* A persistent read error (device gone) would spin the loop: stop polling. */
  if (!h->closed && h->reading && drain_error != 0 && count == 0) stop_reading(h);
}

static napi_value tun_attach(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return throw_type(env, "attach(fd, buffer, meta, readSize, callback) needs five arguments");
  int32_t fd, read_size;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return throw_type(env, "fd must be a number");
  bool is_buffer = false, is_typed = false;
  napi_is_arraybuffer(env, argv[1], &is_buffer);
  if (!is_buffer) return throw_type(env, "buffer must be an ArrayBuffer");
  napi_is_typedarray(env, argv[2], &is_typed);
  if (!is_typed) return throw_type(env, "meta must be an Int32Array");
  if (napi_get_value_int32(env, argv[3], &read_size) != napi_ok || read_size < 64) return throw_type(env, "readSize must be a number >= 64");
  napi_valuetype type;
  napi_typeof(env, argv[4], &type);
  if (type != napi_function) return throw_type(env, "callback must be a function");

  void* buffer_data;
  size_t buffer_length;
  CALL(env, napi_get_arraybuffer_info(env, argv[1], &buffer_data, &buffer_length));
  napi_typedarray_type meta_type;
  size_t meta_length;
  void* meta_data;
  CALL(env, napi_get_typedarray_info(env, argv[2], &meta_type, &meta_length, &meta_data, NULL, NULL));
  if (meta_type != napi_int32_array || meta_length < 2) return throw_type(env, "meta must be an Int32Array of at least 2 elements");
  if ((size_t)read_size > buffer_length) return throw_type(env, "buffer must hold at least readSize bytes");

  tun_handle* h = calloc(1, sizeof *h);
  if (h == NULL) return throw_errno(env, ENOMEM, "allocate TUN handle");
  h->env = env;
  h->fd = fd;
  h->referenced = 1;
  h->buffer = buffer_data;
  h->buffer_length = buffer_length;
  h->meta = meta_data;
  h->max_packets = meta_length / 2;
  h->read_size = (size_t)read_size;

  napi_value external, resource_name;
  if (napi_create_external(env, h, finalize_handle, NULL, &external) != napi_ok) { free(h); return throw_errno(env, ENOMEM, "create handle"); }
  /* Weak until reading starts: a device nobody reads from or holds can be collected (and closed). */
  CALL(env, napi_create_reference(env, argv[4], 0, &h->callback_ref));
  CALL(env, napi_create_reference(env, argv[1], 1, &h->buffer_ref));
  CALL(env, napi_create_reference(env, argv[2], 1, &h->meta_ref));
  CALL(env, napi_create_reference(env, external, 0, &h->self_ref));
  CALL(env, napi_create_string_utf8(env, "tuntcp:TUN", NAPI_AUTO_LENGTH, &resource_name));
  CALL(env, napi_async_init(env, NULL, resource_name, &h->async_context));
  napi_add_env_cleanup_hook(env, cleanup_hook, h);
  return external;
}

static napi_value handle_arg(napi_env env, napi_callback_info info, tun_handle** out) {
  size_t argc = 1;
  napi_value argv[1];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_type(env, "expected a TUN handle");
  *out = get_handle(env, argv[0]);
  return *out ? argv[0] : NULL;
}

static napi_value tun_start_reading(napi_env env, napi_callback_info info) {
  tun_handle* h = NULL;
  if (!handle_arg(env, info, &h)) return NULL;
  if (h->closed) return throw_errno(env, EBADF, "TUN device is closed");
  if (h->reading) return NULL;
  if (!h->poll_initialized) {
    uv_loop_t* loop;
    CALL(env, napi_get_uv_event_loop(env, &loop));
    int err = uv_poll_init(loop, &h->poll, h->fd);
    if (err != 0) return throw_errno(env, -err, "uv_poll_init");
    h->poll.data = h;
    h->poll_initialized = 1;
    if (!h->referenced) uv_unref((uv_handle_t*)&h->poll);
  }
  int err = uv_poll_start(&h->poll, UV_READABLE, on_readable);
  if (err != 0) return throw_errno(env, -err, "uv_poll_start");
  h->reading = 1;
  uint32_t count;
  napi_reference_ref(env, h->self_ref, &count);
  napi_reference_ref(env, h->callback_ref, &count);
  return NULL;
}

static napi_value tun_stop_reading(napi_env env, napi_callback_info info) {
  tun_handle* h = NULL;
  if (!handle_arg(env, info, &h)) return NULL;
  if (h->closed || !h->reading) return NULL;
  stop_reading(h);
  return NULL;
}

static napi_value tun_ref(napi_env env, napi_callback_info info) {
  tun_handle* h = NULL;
  if (!handle_arg(env, info, &h)) return NULL;
  h->referenced = 1;
  if (h->poll_initialized && !h->closed) uv_ref((uv_handle_t*)&h->poll);
  return NULL;
}

static napi_value tun_unref(napi_env env, napi_callback_info info) {
  tun_handle* h = NULL;
  if (!handle_arg(env, info, &h)) return NULL;
  h->referenced = 0;
  if (h->poll_initialized && !h->closed) uv_unref((uv_handle_t*)&h->poll);
  return NULL;
}

static napi_value tun_close(napi_env env, napi_callback_info info) {
  tun_handle* h = NULL;
  if (!handle_arg(env, info, &h)) return NULL;
  close_handle(h);
  return NULL;
}

/* ---------- writing ---------- */

static int get_bytes(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) return 0;
  napi_typedarray_type type;
  void* base;
  if (napi_get_typedarray_info(env, value, &type, length, &base, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = base;
  return 1;
}

static napi_value tun_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_type(env, "writeBatch(handle, packets[, header]) needs two arguments");
  tun_handle* h = get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) return throw_type(env, "packets must be an array of Uint8Array");
  struct iovec iov[MAX_WRITE_IOV];
  int iov_count = 0;
  if (argc >= 3) {
    napi_valuetype type;
    napi_typeof(env, argv[2], &type);
    if (type != napi_undefined && type != napi_null) {
      uint8_t* header;
      size_t header_length;
      if (!get_bytes(env, argv[2], &header, &header_length)) return throw_type(env, "header must be a Uint8Array");
      iov[0].iov_base = header;
      iov[0].iov_len = header_length;
      iov_count = 1;
    }
  }
  uint32_t length;
  CALL(env, napi_get_array_length(env, argv[1], &length));
  uint32_t written = 0;
  if (h->closed) {
    napi_value result;
    CALL(env, napi_create_uint32(env, 0, &result));
    return result;
  }
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    CALL(env, napi_get_element(env, argv[1], i, &element));
    uint8_t* data;
    size_t size;
    if (!get_bytes(env, element, &data, &size)) continue; /* not a packet: dropped like a refused one */
    ssize_t n;
    do {
      if (iov_count == 0) {
        n = write(h->fd, data, size);
      } else {
        iov[1].iov_base = data;
        iov[1].iov_len = size;
        n = writev(h->fd, iov, 2);
      }
    } while (n < 0 && errno == EINTR);
    /* EAGAIN (queue full) or a packet the kernel rejects: dropped, never retried or blocked on. */
    if (n >= 0) written++;
  }
  napi_value result;
  CALL(env, napi_create_uint32(env, written, &result));
  return result;
}

/* ---------- module ---------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"open", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"closeFd", NULL, tun_close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
    {"attach", NULL, tun_attach, NULL, NULL, NULL, napi_enumerable, NULL},
    {"startReading", NULL, tun_start_reading, NULL, NULL, NULL, napi_enumerable, NULL},
    {"stopReading", NULL, tun_stop_reading, NULL, NULL, NULL, napi_enumerable, NULL},
    {"ref", NULL, tun_ref, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unref", NULL, tun_unref, NULL, NULL, NULL, napi_enumerable, NULL},
    {"close", NULL, tun_close, NULL, NULL, NULL, napi_enumerable, NULL},
    {"writeBatch", NULL, tun_write_batch, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
