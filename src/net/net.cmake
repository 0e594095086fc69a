# Network faults: matching, nftables (libnftables, libnftnl), the packet
# engine (libnetfilter_queue over libmnl), network namespaces.
pkg_check_modules(NFT REQUIRED IMPORTED_TARGET libnftables)
pkg_check_modules(NFTNL REQUIRED IMPORTED_TARGET libnftnl)
pkg_check_modules(MNL REQUIRED IMPORTED_TARGET libmnl)
pkg_check_modules(NFQ REQUIRED IMPORTED_TARGET libnetfilter_queue)

# The network attack kinds (src/attacks/latency.c ...) are listed with every
# other kind in src/attacks/catalog.h.
list(APPEND FAULTLINE_SOURCES
  src/net/match.c src/net/netns.c src/net/nft.c src/net/engine.c src/net/engine_dns.c
  src/net/engine_stats.c src/net/attack.c)
list(APPEND FAULTLINE_PKG_TARGETS PkgConfig::NFT PkgConfig::NFTNL PkgConfig::MNL PkgConfig::NFQ)
