{
  "targets": [
    {
      "target_name": "rnnkit_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/isa_portable.cc"
      ],
      "dependencies": ["rnnkit_avx2", "rnnkit_avx512"],
      "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=off", "-fno-math-errno"],
      "cflags_cc!": ["-fno-exceptions"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-ffp-contract=off"] }
    },
    {
      "target_name": "rnnkit_avx2",
      "type": "static_library",
      "sources": ["native/src/isa_avx2.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=off", "-fno-math-errno", "-fPIC"],
      "conditions": [
        ["target_arch == 'x64'", { "cflags_cc": ["-mavx2", "-mfma"] }]
      ]
    },
    {
      "target_name": "rnnkit_avx512",
      "type": "static_library",
      "sources": ["native/src/isa_avx512.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=off", "-fno-math-errno", "-fPIC"],
      "conditions": [
        ["target_arch == 'x64'", { "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx2", "-mfma"] }]
      ]
    }
  ]
}
