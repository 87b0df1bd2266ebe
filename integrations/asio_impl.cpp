// The one translation unit that compiles Asio, Asio-SSL and Beast (STYLE L3): every other file
// sees only declarations, which keeps incremental builds fast on small machines.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
