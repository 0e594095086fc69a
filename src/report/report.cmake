# Reports of experiment results: result.json -> junit.xml and a
# self-contained report.html with SVG charts, and `faultline report`.
list(APPEND FAULTLINE_SOURCES
  src/report/escape.c src/report/model.c src/report/svg.c src/report/html.c
  src/report/junit.c src/report/report.c)
list(APPEND FAULTLINE_CLI_SOURCES src/cli/cmd_report.c)
install(FILES include/faultline/report.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/faultline)
