{
  "targets": [
    {
      "target_name": "tuntcp_tun",
      "sources": ["native/tun.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS!='linux'", { "sources!": ["native/tun.c"], "sources": [] }]
      ]
    }
  ]
}
