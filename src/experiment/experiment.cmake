# Experiments: schema and parser (libyaml, which keeps line and
# column of every node), metric sources (probes and Prometheus over libcurl),
# the runner, and the `run` and `validate` commands.
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)

set(FL_EXPERIMENT_DIR src/experiment)
list(APPEND FAULTLINE_SOURCES
  # libcurl once per process (core/curl_init.c)
  src/core/curl_init.c
  # the model: what the file says
  ${FL_EXPERIMENT_DIR}/model/parse.c ${FL_EXPERIMENT_DIR}/model/metric.c
  # metric sources and their evaluation
  ${FL_EXPERIMENT_DIR}/metrics/series.c ${FL_EXPERIMENT_DIR}/metrics/probes.c
  ${FL_EXPERIMENT_DIR}/metrics/prometheus.c ${FL_EXPERIMENT_DIR}/metrics/evaluate.c
  # where a step's fault runs
  ${FL_EXPERIMENT_DIR}/steps/step.c ${FL_EXPERIMENT_DIR}/steps/step_local.c ${FL_EXPERIMENT_DIR}/steps/step_ssh.c
  ${FL_EXPERIMENT_DIR}/steps/step_ssm.c ${FL_EXPERIMENT_DIR}/steps/fleet_thread.c
  # where the load comes from
  ${FL_EXPERIMENT_DIR}/loads/load_http.c ${FL_EXPERIMENT_DIR}/loads/load_command.c
  ${FL_EXPERIMENT_DIR}/loads/load_hosts.c
  # what a run produces
  ${FL_EXPERIMENT_DIR}/output/result.c ${FL_EXPERIMENT_DIR}/output/write.c
  ${FL_EXPERIMENT_DIR}/output/progress.c ${FL_EXPERIMENT_DIR}/output/dry_run.c
  ${FL_EXPERIMENT_DIR}/output/summary.c
  # the runner
  ${FL_EXPERIMENT_DIR}/runner.c ${FL_EXPERIMENT_DIR}/command.c)
list(APPEND FAULTLINE_CLI_SOURCES src/cli/cmd_run.c src/cli/cmd_validate.c)
list(APPEND FAULTLINE_PKG_TARGETS PkgConfig::YAML PkgConfig::CURL)

install(FILES include/faultline/experiment.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/faultline)

# The fuzz build (tests/experiment/run-fuzz.sh) instruments the parser for
# coverage so libFuzzer can steer into it.
if(FAULTLINE_FUZZ)
  set_source_files_properties(src/experiment/model/parse.c src/experiment/model/metric.c
    src/experiment/metrics/prometheus.c
    PROPERTIES COMPILE_OPTIONS "-fsanitize=fuzzer-no-link,address,undefined")
endif()
