{
  # One target over node-addon-api (header-only), built without C++ exceptions: errors are
  # thrown as pending JS exceptions (native/binding/napi-util.h). NAPI_VERSION 8 makes one
  # binary serve every Node >= 18 (prebuildify --napi tags it as napi).
  "targets": [
    {
      "target_name": "ringcache",
      "sources": [
        "native/core/crc16.cc",
        "native/core/key-slot.cc",
        "native/core/md5.cc",
        "native/core/murmur3.cc",
        "native/core/ring-search.cc",
        "native/binding/hash-functions.cc",
        "native/binding/key-array.cc",
        "native/binding/key-reader.cc",
        "native/binding/module.cc",
        "native/binding/napi-util.cc",
        "native/binding/numbers.cc",
        "native/binding/packed-keys.cc",
        "native/binding/ring-functions.cc",
        "native/binding/ring-table.cc",
        "native/binding/slot-functions.cc",
        "native/binding/typed-array.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fexceptions", "-O2"],
      "cflags_cc!": ["-fexceptions", "-O2"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-fvisibility=hidden", "-fno-exceptions"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra"],
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 0, "AdditionalOptions": ["/std:c++17", "/O2"] }
      }
    }
  ]
}
