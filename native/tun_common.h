/* Shared by the tuntcp_tun sources: error helpers (errno name as `code`) and argument helpers. */
#ifndef TUNTCP_TUN_COMMON_H
#define TUNTCP_TUN_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <node_api.h>

/* Throws Error(`${what}: ${strerror}`) with code = errno name, errno, and step = the part that failed. */
napi_value throw_errno_step(napi_env env, int err, const char* step, const char* what);
napi_value throw_errno(napi_env env, int err, const char* what);
napi_value throw_type(napi_env env, const char* message);

int get_property(napi_env env, napi_value object, const char* key, napi_value* out, napi_valuetype* type);
int get_int_option(napi_env env, napi_value options, const char* key, int32_t* out);
int get_bool_option(napi_env env, napi_value options, const char* key, bool* out);

/* open(name, options) -> { fd, name } and closeFd(fd), in tun_open.c */
napi_value tun_open(napi_env env, napi_callback_info info);
napi_value tun_close_fd(napi_env env, napi_callback_info info);

/* Returns NULL (with a JS exception pending) from the calling function when a call fails. */
#define CALL(env, call)                                      \
  do {                                                       \
    if ((call) != napi_ok) {                                 \
      bool pending = false;                                  \
      napi_is_exception_pending((env), &pending);            \
      if (!pending) napi_throw_error((env), NULL, #call);    \
      return NULL;                                           \
    }                                                        \
  } while (0)

#endif
