# Embeds runtime headers, libbpf's BPF-side headers and the Lua stdlib into the
# binary, so pktlua never reads its source tree at run time. The generated file
# also holds pl_embedded_digest, the SHA-256 of the embedded headers and of the
# DIGEST files (the compile cache's build identity; see tools/embed.c).
add_executable(pl_embed ${CMAKE_SOURCE_DIR}/tools/embed.c ${CMAKE_SOURCE_DIR}/host/base/sha256.c)
target_include_directories(pl_embed PRIVATE ${CMAKE_SOURCE_DIR}/host)

# pktlua_embed(OUT <file.c> FILES <name>=<path> ... [DIGEST <label>=<path> ...])
function(pktlua_embed)
  cmake_parse_arguments(E "" "OUT" "FILES;DIGEST" ${ARGN})
  set(args)
  set(deps)
  foreach(pair ${E_FILES})
    string(REPLACE "=" ";" kv "${pair}")
    list(GET kv 1 path)
    list(APPEND args "${pair}")
    list(APPEND deps "${path}")
  endforeach()
  foreach(pair ${E_DIGEST})
    string(REPLACE "=" ";" kv "${pair}")
    list(GET kv 1 path)
    list(APPEND args "+${pair}")
    list(APPEND deps "${path}")
  endforeach()
  add_custom_command(OUTPUT ${E_OUT}
    COMMAND pl_embed ${E_OUT} ${args}
    DEPENDS pl_embed ${deps}
    COMMENT "Embedding ${CMAKE_CURRENT_LIST_DIR} resources"
    VERBATIM)
endfunction()
