// gRPC's health check messages in wire form, against bytes worked out from the protobuf
// encoding rules (field 1: tag 0x0a for a string, 0x08 for a varint).
#include "proxy/http/grpc_health.h"

#include <gtest/gtest.h>

#include <string>

namespace outrigger::http {
namespace {

std::string framed(const std::string& message) {
  return std::string("\0\0\0", 3) + static_cast<char>(message.size() >> 8) +
         static_cast<char>(message.size() & 0xff) + message;
}

TEST(GrpcHealthTest, TheRequestNamesTheServiceOrNothing) {
  EXPECT_EQ(grpcHealthRequest("greeter.Greeter"), framed("\x0a\x0fgreeter.Greeter"));
  EXPECT_EQ(grpcHealthRequest(""), framed(""));
  const std::string long_name(200, 's');  // a two-byte varint length
  EXPECT_EQ(grpcHealthRequest(long_name), framed("\x0a\xc8\x01" + long_name));
}

TEST(GrpcHealthTest, TheResponseStatusIsReadFromItsField) {
  EXPECT_EQ(grpcHealthStatus(framed("\x08\x01")), 1);
  EXPECT_EQ(grpcHealthStatus(framed("\x08\x02")), 2);
  EXPECT_EQ(grpcHealthStatus(framed("")), 0);  // proto3 leaves UNKNOWN out
  // Fields it does not know are skipped: a string, a fixed64, then the status.
  EXPECT_EQ(grpcHealthStatus(
                framed(std::string("\x12\x02hi\x19", 5) + std::string(8, '\0') + "\x08\x01")),
            1);
  EXPECT_EQ(servingStatusName(1), "SERVING");
  EXPECT_EQ(servingStatusName(3), "SERVICE_UNKNOWN");
  EXPECT_EQ(servingStatusName(9), "an unknown status");
}

TEST(GrpcHealthTest, BytesThatAreNotAResponseAreNothing) {
  EXPECT_FALSE(grpcHealthStatus(""));
  EXPECT_FALSE(grpcHealthStatus(std::string("\0\0\0\0", 4)));                // a cut prefix
  EXPECT_FALSE(grpcHealthStatus(framed("\x08\x01").substr(0, 6)));           // a cut message
  EXPECT_FALSE(grpcHealthStatus(std::string("\x01\0\0\0\x02\x08\x01", 7)));  // compressed
  EXPECT_FALSE(grpcHealthStatus(framed("\x08\x81")));                        // a varint cut short
  EXPECT_FALSE(grpcHealthStatus(framed("\x0b")));                            // a group
}

}  // namespace
}  // namespace outrigger::http
