# cci_warnings: one INTERFACE target every first-party target links, so flags live in one place.
add_library(cci_warnings INTERFACE)
target_compile_options(cci_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough
  # Designated initializers that rely on member defaults are intended.
  -Wno-missing-field-initializers
  $<$<BOOL:${CCI_WERROR}>:-Werror>)
