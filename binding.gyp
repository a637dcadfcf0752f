{
  "targets": [
    {
      "target_name": "tuntcp_tun",
      "sources": ["native/tun.c", "native/tun_open.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS!='linux'", { "sources!": ["native/tun.c", "native/tun_open.c"], "sources": [] }]
      ]
    }
  ]
}
