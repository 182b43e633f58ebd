#include "cli/cli.h"

int main(int argc, char** argv) { return cci::cli::run(argc, argv); }
