// A test-only SQLite VFS that kills the process at its Nth write, so that
// the fault suite can crash a service at every point of a transaction.
//
// It is installed only when the environment variable PP_FAULT_KILL_AT_WRITE
// contains a positive number N. Every xWrite and xSync on any file SQLite opens
// (the database, its write-ahead log, a journal) counts as one write; the
// Nth raises SIGKILL before it reaches the file. Without the variable SQLite
// keeps its default VFS and normal runs pay for one getenv at the first open.
#ifndef PP_STORE_FAULT_VFS_H_
#define PP_STORE_FAULT_VFS_H_

namespace pp {

// Registers the killing VFS as SQLite's default when PP_FAULT_KILL_AT_WRITE
// is set. Safe to call from any thread, any number of times; only the first
// call reads the environment.
void InstallFaultVfsIfRequested();

}  // namespace pp

#endif  // PP_STORE_FAULT_VFS_H_
