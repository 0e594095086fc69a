# The load generator: sources, CLI command, and http-parser, which
# Debian ships without a pkg-config file, so it is found by hand.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(faultline_http_parser INTERFACE IMPORTED GLOBAL)
target_include_directories(faultline_http_parser INTERFACE ${HTTP_PARSER_INCLUDE_DIR})
target_link_libraries(faultline_http_parser INTERFACE ${HTTP_PARSER_LIBRARY})

list(APPEND FAULTLINE_SOURCES
  src/load/histogram.c src/load/compact_hist.c src/load/pacer.c src/load/http_request.c
  src/load/http_response.c src/load/http_client.c src/load/series.c src/load/config.c
  src/load/load.c src/load/result_json.c src/load/wire.c)
list(APPEND FAULTLINE_CLI_SOURCES src/cli/cmd_load.c)
list(APPEND FAULTLINE_PKG_TARGETS faultline_http_parser)
string(APPEND FAULTLINE_PC_LIBS_PRIVATE " -lhttp_parser") # no .pc file in Debian

# libFuzzer target for the response parser (tests/load); clang only.
option(FAULTLINE_FUZZ "Build the libFuzzer targets (clang)" OFF)
