# Installs the front-end packages from the npm registry with the committed
# lock file and gathers the files the gateway serves into OUTPUT_DIR.
# Run by the gateway_assets target as
#   cmake -DSOURCE_DIR=... -DWORK_DIR=... -DOUTPUT_DIR=... -DNPM=... -P build_assets.cmake
# The gateway adds a content hash to each file name when it loads the folder.

foreach(variable SOURCE_DIR WORK_DIR OUTPUT_DIR NPM)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "build_assets.cmake: -D${variable}=... is missing")
  endif()
endforeach()

# npm ci installs exactly the versions in package-lock.json and fails when
# the lock file and package.json disagree. Install scripts are not run.
file(MAKE_DIRECTORY "${WORK_DIR}")
configure_file("${SOURCE_DIR}/package.json" "${WORK_DIR}/package.json" COPYONLY)
configure_file("${SOURCE_DIR}/package-lock.json" "${WORK_DIR}/package-lock.json" COPYONLY)
execute_process(
  COMMAND "${NPM}" ci --ignore-scripts --no-audit --no-fund --loglevel=error
  WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE npm_result)
if(NOT npm_result EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${WORK_DIR} (exit ${npm_result}); "
                      "the npm registry must be reachable for the first build")
endif()

set(design_system "${WORK_DIR}/node_modules/@scottish-government/design-system/dist")
file(REMOVE_RECURSE "${OUTPUT_DIR}")
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
configure_file("${design_system}/css/design-system.min.css" "${OUTPUT_DIR}/design-system.css"
               COPYONLY)
configure_file("${design_system}/scripts/design-system.js" "${OUTPUT_DIR}/design-system.js"
               COPYONLY)
configure_file("${design_system}/images/icons/icons.stack.svg" "${OUTPUT_DIR}/icons.svg" COPYONLY)
foreach(own site.css site.js handoff.js)
  configure_file("${SOURCE_DIR}/${own}" "${OUTPUT_DIR}/${own}" COPYONLY)
endforeach()
