# The libbpf loader addon. Debian's libbpf.a is not built with -fPIC, so libbpf is linked
# dynamically (pkg-config libbpf); node-gyp runs with --nodedir=/usr (see Makefile `native`).
{
  'targets': [
    {
      'target_name': 'vigil_bpf',
      'sources': [
        'src/addon.cc',
        'src/bpf_object.cc',
        'src/errors.cc',
        'src/object_file.cc',
        'src/pidfd.cc',
        'src/ring_reader.cc',
      ],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'dependencies': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      'cflags_cc': ['-std=c++17', '-Wall', '-Wextra', '-O2', '<!@(pkg-config --cflags libbpf)'],
      'libraries': ['<!@(pkg-config --libs libbpf)'],
      'defines': ['NAPI_VERSION=8'],
    },
  ],
}
