#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kd::core::client {

// Splits a byte stream of concatenated JSON values (a watch body) into complete top-level
// objects, whatever the chunk boundaries and with or without newlines between them: the client
// must not depend on either (wire spec §2.6). Tracks strings and escapes so braces inside
// strings do not count. Not thread-safe; one per stream.
class JsonStreamSplitter final
{
public:
    // Appends bytes; returns the objects completed by them, each as its own text.
    std::vector<std::string> feed(std::string_view bytes);
    // Bytes of an object not yet complete.
    std::size_t pendingBytes() const { return m_buffer.size(); }
    // True when the stream holds something that cannot start a JSON object.
    bool failed() const { return m_failed; }

private:
    std::string m_buffer;
    int m_depth = 0;
    bool m_inString = false;
    bool m_escaped = false;
    bool m_failed = false;
};

} // namespace kd::core::client
