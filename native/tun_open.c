/*
 * tuntcp_tun, opening: /dev/net/tun (IFF_TUN|IFF_NO_PI[|IFF_VNET_HDR]), optionally inside a
 * named network namespace (setns around the open), then MTU / txqueuelen / up by ioctl in that
 * namespace. Also the error and argument helpers shared with tun.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tun_common.h"

#define MAX_NETNS_NAME 200

/* ---------- errors ---------- */

static const char* errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EIO: return "EIO";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTDIR: return "ENOTDIR";
    default: return "EUNKNOWN";
  }
}

/*
 * Throws Error(`${what}: ${strerror}`) with code = errno name, errno = the number and
 * step = which part failed ("netns", "device", "interface", "configure", ...). Returns NULL.
 */
napi_value throw_errno_step(napi_env env, int err, const char* step, const char* what) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code, text, error, errno_value, step_value;
  if (napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) != napi_ok ||
      napi_create_error(env, code, text, &error) != napi_ok) {
    napi_throw_error(env, errno_name(err), message);
    return NULL;
  }
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, step, NAPI_AUTO_LENGTH, &step_value);
  napi_set_named_property(env, error, "step", step_value);
  napi_throw(env, error);
  return NULL;
}

napi_value throw_errno(napi_env env, int err, const char* what) {
  return throw_errno_step(env, err, "other", what);
}

napi_value throw_type(napi_env env, const char* message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}


/* ---------- small argument helpers ---------- */

int get_property(napi_env env, napi_value object, const char* key, napi_value* out, napi_valuetype* type) {
  bool has = false;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, object, key, out) != napi_ok) return 0;
  napi_typeof(env, *out, type);
  return *type != napi_undefined && *type != napi_null;
}

int get_int_option(napi_env env, napi_value options, const char* key, int32_t* out) {
  napi_value value;
  napi_valuetype type;
  if (!get_property(env, options, key, &value, &type) || type != napi_number) return 0;
  return napi_get_value_int32(env, value, out) == napi_ok;
}

int get_bool_option(napi_env env, napi_value options, const char* key, bool* out) {
  napi_value value;
  napi_valuetype type;
  if (!get_property(env, options, key, &value, &type) || type != napi_boolean) return 0;
  return napi_get_value_bool(env, value, out) == napi_ok;
}

/* ---------- open ---------- */

/* Copies a name of at most IFNAMSIZ-1 bytes into a zeroed ifreq. */
static void set_ifr_name(struct ifreq* ifr, const char* name) {
  size_t length = strnlen(name, IFNAMSIZ - 1);
  memcpy(ifr->ifr_name, name, length);
  ifr->ifr_name[length] = '\0';
}

/* Sets MTU, txqueuelen and IFF_UP with ioctls on a socket of the current namespace. */
static int configure_interface(const char* ifname, int mtu, int txqueuelen, int up, const char** failed, const char** step) {
  *step = "configure";
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) { *failed = "socket for interface configuration"; return errno; }
  struct ifreq ifr;
  int err = 0;
  if (mtu > 0) {
    memset(&ifr, 0, sizeof ifr);
    set_ifr_name(&ifr, ifname);
    ifr.ifr_mtu = mtu;
    if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) { err = errno; *failed = "set MTU (SIOCSIFMTU)"; goto done; }
  }
  if (txqueuelen > 0) {
    memset(&ifr, 0, sizeof ifr);
    set_ifr_name(&ifr, ifname);
    ifr.ifr_qlen = txqueuelen;
    if (ioctl(sock, SIOCSIFTXQLEN, &ifr) < 0) { err = errno; *failed = "set txqueuelen (SIOCSIFTXQLEN)"; goto done; }
  }
  if (up) {
    memset(&ifr, 0, sizeof ifr);
    set_ifr_name(&ifr, ifname);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) { err = errno; *failed = "get interface flags"; goto done; }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) { err = errno; *failed = "bring interface up"; goto done; }
  }
done:
  close(sock);
  return err;
}

typedef struct {
  char name[IFNAMSIZ];
  int vnet_hdr;
  int offload;
  int mtu;
  int txqueuelen;
  int up;
} open_request;

/* Opens and configures the device in the current namespace. Returns fd, or -errno with *failed set. */
static int open_tun_here(open_request* request, const char** failed, const char** step) {
  *step = "device";
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) { *failed = "open /dev/net/tun"; return -errno; }
  *step = "interface";
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (request->vnet_hdr ? IFF_VNET_HDR : 0);
  set_ifr_name(&ifr, request->name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { int err = errno; close(fd); *failed = "create TUN interface (TUNSETIFF)"; return -err; }
  memcpy(request->name, ifr.ifr_name, IFNAMSIZ);
  request->name[IFNAMSIZ - 1] = '\0';
  if (request->vnet_hdr && request->offload >= 0) {
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)request->offload) < 0) {
      int err = errno; close(fd); *failed = "set TUN offloads (TUNSETOFFLOAD)"; return -err;
    }
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) { int err = errno; close(fd); *failed = "set O_NONBLOCK"; return -err; }
  int err = configure_interface(request->name, request->mtu, request->txqueuelen, request->up, failed, step);
  if (err != 0) { close(fd); return -err; }
  return fd;
}

napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_type(env, "open(name, options) needs two arguments");

  open_request request;
  memset(&request, 0, sizeof request);
  request.offload = -1;
  size_t name_length = 0;
  napi_valuetype type;
  napi_typeof(env, argv[0], &type);
  if (type != napi_string) return throw_type(env, "name must be a string");
  CALL(env, napi_get_value_string_utf8(env, argv[0], request.name, sizeof request.name, &name_length));
  if (name_length >= IFNAMSIZ - 1) return throw_errno(env, ENAMETOOLONG, "interface name longer than 15 bytes");

  napi_value options = argv[1];
  char netns[MAX_NETNS_NAME] = "";
  napi_value value;
  if (get_property(env, options, "netns", &value, &type)) {
    if (type != napi_string) return throw_type(env, "options.netns must be a string");
    size_t length = 0;
    CALL(env, napi_get_value_string_utf8(env, value, netns, sizeof netns, &length));
    if (length == 0 || length >= sizeof netns - 1 || strchr(netns, '/') != NULL || strcmp(netns, ".") == 0 || strcmp(netns, "..") == 0) {
      return throw_errno_step(env, EINVAL, "netns", "invalid network namespace name");
    }
  }
  bool vnet = false;
  get_bool_option(env, options, "vnetHdr", &vnet);
  request.vnet_hdr = vnet;
  get_int_option(env, options, "offload", &request.offload);
  get_int_option(env, options, "mtu", &request.mtu);
  get_int_option(env, options, "txqueuelen", &request.txqueuelen);
  bool up = false;
  get_bool_option(env, options, "up", &up);
  request.up = up;

  const char* failed = "open TUN";
  const char* step = "other";
  int fd;
  if (netns[0] == '\0') {
    fd = open_tun_here(&request, &failed, &step);
  } else {
    char path[MAX_NETNS_NAME + 32];
    snprintf(path, sizeof path, "/var/run/netns/%s", netns);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0) {
      int err = errno;
      char what[MAX_NETNS_NAME + 64];
      snprintf(what, sizeof what, "network namespace \"%s\" (%s)", netns, path);
      return throw_errno_step(env, err, "netns", what);
    }
    /* setns acts on the calling thread only: save this thread's namespace, not the process's. */
    int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (saved < 0) { int err = errno; close(target); return throw_errno(env, err, "open /proc/thread-self/ns/net"); }
    if (setns(target, CLONE_NEWNET) < 0) {
      int err = errno;
      close(target);
      close(saved);
      return throw_errno_step(env, err, "netns", "enter network namespace (setns)");
    }
    fd = open_tun_here(&request, &failed, &step);
    if (setns(saved, CLONE_NEWNET) < 0) {
      /* The main thread would stay in the wrong namespace: never continue like that. */
      napi_fatal_error("tuntcp_tun.open", NAPI_AUTO_LENGTH, "cannot return to the original network namespace", NAPI_AUTO_LENGTH);
    }
    close(target);
    close(saved);
  }
  if (fd < 0) return throw_errno_step(env, -fd, step, failed);

  napi_value result, fd_value, name_value;
  CALL(env, napi_create_object(env, &result));
  CALL(env, napi_create_int32(env, fd, &fd_value));
  CALL(env, napi_create_string_utf8(env, request.name, NAPI_AUTO_LENGTH, &name_value));
  CALL(env, napi_set_named_property(env, result, "fd", fd_value));
  CALL(env, napi_set_named_property(env, result, "name", name_value));
  return result;
}

napi_value tun_close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return throw_type(env, "closeFd(fd) needs a number");
  if (fd >= 0) close(fd);
  return NULL;
}
