# AWS Systems Manager: SSM Command documents per attack kind and a
# SendCommand client (AWS JSON 1.1 over libcurl, SigV4 by libcurl itself).
if(NOT TARGET PkgConfig::CURL)
  pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
endif()
if(NOT "src/core/curl_init.c" IN_LIST FAULTLINE_SOURCES)
  list(APPEND FAULTLINE_SOURCES src/core/curl_init.c)
endif()
list(APPEND FAULTLINE_SOURCES src/fleet/ssm_doc.c src/fleet/ssm_client.c src/fleet/ssm_command.c)
list(APPEND FAULTLINE_CLI_SOURCES src/cli/cmd_ssm.c src/cli/cmd_ssm_send.c)
if(NOT "PkgConfig::CURL" IN_LIST FAULTLINE_PKG_TARGETS)
  list(APPEND FAULTLINE_PKG_TARGETS PkgConfig::CURL)
endif()
