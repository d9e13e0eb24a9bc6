#pragma once

namespace kd::core::util {

// Names the calling thread as `top -H`, gdb and perf show it. Linux keeps 15 characters; longer
// names are cut. Threads that do one job should call this first thing, so that a profile of a
// busy process reads by role ("kd-io", "kd-store") instead of by thread id.
void setCurrentThreadName(const char *name);

} // namespace kd::core::util
