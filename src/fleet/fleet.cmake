# Fleets: inventory, selection, ssh fan-out (docs/fleet.md).
# libyaml comes from the experiment subsystem's pkg-config check; ask again
# in case this file is included on its own.
if(NOT TARGET PkgConfig::YAML)
  pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
  list(APPEND FAULTLINE_PKG_TARGETS PkgConfig::YAML)
endif()
# src/core/yaml_bounds.c bounds the nesting of every YAML input (inventories
# and experiment files) and needs libyaml, which is why it is listed here.
list(APPEND FAULTLINE_SOURCES src/core/yaml_bounds.c src/fleet/inventory.c src/fleet/select.c src/fleet/fanout.c src/fleet/plan.c)
list(APPEND FAULTLINE_CLI_SOURCES src/cli/cmd_fleet.c)
