#include "core/regular_file.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <string>

using volumecli::Links;
using volumecli::read_regular_file;
using volumecli::test::TempDir;

TEST_CASE("read_regular_file reads a whole regular file", "[regular_file]")
{
    const TempDir dir;
    const std::string content(20000, 'x');
    const auto read = read_regular_file(dir.write_file("f", content), 1024 * 1024);
    REQUIRE(read.ok());
    CHECK(read.text == content);
}

TEST_CASE("read_regular_file refuses a FIFO at once instead of blocking in open", "[regular_file]")
{
    const TempDir dir;
    const std::string fifo = dir.file("fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto read = read_regular_file(fifo, 1024);
    CHECK_FALSE(read.ok());
    CHECK(read.problem == "not a regular file (a FIFO)");
}

TEST_CASE("read_regular_file refuses directories, sockets and devices", "[regular_file]")
{
    const TempDir dir;
    CHECK(read_regular_file(dir.make_dir("d"), 1024).problem == "not a regular file (a directory)");
    CHECK(read_regular_file("/dev/null", 1024).problem == "not a regular file (a character device)");
    CHECK(read_regular_file("/dev/zero", 1024).problem == "not a regular file (a character device)");

    const std::string socket_path = dir.file("s");
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socket_path.copy(address.sun_path, sizeof(address.sun_path) - 1);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    // A socket cannot be opened at all (ENXIO): refused either way, never read.
    CHECK_FALSE(read_regular_file(socket_path, 1024).ok());
    ::close(fd);
}

TEST_CASE("read_regular_file caps the bytes it reads", "[regular_file]")
{
    const TempDir dir;
    const std::string path = dir.write_file("big", std::string(1025, 'y'));
    const auto read = read_regular_file(path, 1024);
    CHECK(read.error == EFBIG);
    CHECK(read.problem == "larger than 1024 bytes");
    CHECK(read_regular_file(path, 1025).ok());
}

TEST_CASE("read_regular_file follows a final symlink only when asked to", "[regular_file]")
{
    const TempDir dir;
    const std::string target = dir.write_file("target", "data");
    const std::string link = dir.file("link");
    REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    CHECK(read_regular_file(link, 1024, Links::follow).text == "data");
    const auto refused = read_regular_file(link, 1024, Links::refuse);
    CHECK(refused.error == ELOOP);
    CHECK(refused.problem == "is a symbolic link, which is not followed here");
}

TEST_CASE("read_regular_file reports a missing file as ENOENT", "[regular_file]")
{
    const TempDir dir;
    const auto read = read_regular_file(dir.file("missing"), 1024);
    CHECK(read.error == ENOENT);
    CHECK_FALSE(read.ok());
}
