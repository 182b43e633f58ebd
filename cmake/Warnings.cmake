# cci_warnings: one INTERFACE target every first-party target links, so flags live in one place.
add_library(cci_warnings INTERFACE)
target_compile_options(cci_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough
  # Designated initializers that rely on member defaults are intended.
  -Wno-missing-field-initializers
  # GCC 12 at -O3 reports impossible std::string memcpy overlaps (GCC bug 105329); -Werror builds
  # use -O2, but a user's Release build should not print pages of false warnings.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  $<$<BOOL:${CCI_WERROR}>:-Werror>)
