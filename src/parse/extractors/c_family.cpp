#include "parse/extractors/extractors.h"

namespace cci::parse::detail {

void extract_c_family(TSNode root, Context& ctx) {
  (void)root;
  (void)ctx;
}

}  // namespace cci::parse::detail
