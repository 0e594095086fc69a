# Experiments: schema and parser (libyaml, which keeps line and
# column of every node), metric sources (probes and Prometheus over libcurl),
# the runner, and the `run` and `validate` commands.
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)

list(APPEND FAULTLINE_SOURCES
  src/core/curl_init.c
  src/experiment/parse.c src/experiment/metrics.c src/experiment/prometheus.c src/experiment/series.c
  src/experiment/probes.c src/experiment/command.c src/experiment/command_load.c src/experiment/hypothesis.c
  src/experiment/runner.c src/experiment/result.c src/experiment/plan.c src/experiment/progress.c
  src/experiment/output.c src/experiment/remote_ssh.c src/experiment/remote_ssm.c src/experiment/remote_load.c)
list(APPEND FAULTLINE_CLI_SOURCES src/cli/cmd_run.c src/cli/cmd_validate.c)
list(APPEND FAULTLINE_PKG_TARGETS PkgConfig::YAML PkgConfig::CURL)

install(FILES include/faultline/experiment.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/faultline)

# The fuzz build (tests/experiment/run-fuzz.sh) instruments the parser for
# coverage so libFuzzer can steer into it.
if(FAULTLINE_FUZZ)
  set_source_files_properties(src/experiment/parse.c src/experiment/metrics.c src/experiment/prometheus.c
    PROPERTIES COMPILE_OPTIONS "-fsanitize=fuzzer-no-link,address,undefined")
endif()
