#include <volumecli/mount_id.hpp>

#include "core/sha256.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>

using volumecli::default_mount_id;
using volumecli::sha256_hex;

TEST_CASE("sha256_hex matches the FIPS 180-2 test vectors", "[mount_id]")
{
    auto [data, digest] = GENERATE(table<std::string, std::string>({
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    }));
    CAPTURE(data);

    CHECK(sha256_hex(data) == digest);
}

TEST_CASE("sha256_hex pads messages of every length around a block boundary", "[mount_id]")
{
    // Digests of n times 'a', computed independently (Python hashlib).
    auto [length, digest] = GENERATE(table<std::size_t, std::string>({
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
        {1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"},
        {1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    }));
    CAPTURE(length);

    CHECK(sha256_hex(std::string(length, 'a')) == digest);
}

TEST_CASE("sha256_hex hashes bytes above 0x7f and NUL as bytes", "[mount_id]")
{
    const std::string data("\xff\x80\x00\x7f\xe2\x82\xac", 7);

    CHECK(sha256_hex(data) == "7a76c1dd319f04edfb5445c2130234ef3ca9877e146618a9c185e2412d3cbe42");
}

TEST_CASE("default_mount_id is 64 lowercase hex digits", "[mount_id]")
{
    const std::string id = default_mount_id("rexray", "vol1");

    REQUIRE(id.size() == 64);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("default_mount_id is the documented SHA-256 of driver and volume", "[mount_id]")
{
    // sha256("dvdcli-mount-id\0rexray\0vol1"), computed independently (Python hashlib), so a
    // mount by one dvdcli and an unmount by another (or a newer) one send the same ID.
    CHECK(default_mount_id("rexray", "vol1") == "ca082b35fa2a4d7da4268d75708b1fa70cf7792269f0dbe9b442e7b6db330dd9");
    CHECK(default_mount_id("rexray", "vol1") ==
          sha256_hex(std::string("dvdcli-mount-id\0rexray\0vol1", sizeof("dvdcli-mount-id\0rexray\0vol1") - 1)));
}

TEST_CASE("default_mount_id is deterministic and depends on driver and volume", "[mount_id]")
{
    const std::string id = default_mount_id("rexray", "vol1");

    CHECK(default_mount_id("rexray", "vol1") == id);
    CHECK(default_mount_id("rexray", "vol2") != id);
    CHECK(default_mount_id("other", "vol1") != id);
    SECTION("the separator keeps driver and volume apart")
    {
        CHECK(default_mount_id("ab", "c") != default_mount_id("a", "bc"));
    }
}
