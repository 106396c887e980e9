// A 25 MB attachment through the whole path: signed with the token's EC key, encrypted to an
// org certificate whose key is in the token and to a peer, then decrypted and verified by us
// and by openssl. The attachment must come back byte-identical.
#include <openssl/rand.h>

#include "interop/interop_fixture.hpp"

namespace smime::test::interop {
namespace {

constexpr std::size_t kAttachmentSize = 25 * 1024 * 1024;

std::string random_attachment() {
  std::string data(kAttachmentSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(data.data()), static_cast<int>(data.size())) !=
      1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return data;
}

std::string mixed_entity(const std::string& attachment) {
  return "Content-Type: multipart/mixed; boundary=\"large-boundary\"\r\n"
         "\r\n"
         "--large-boundary\r\n" +
         text_entity() +
         "\r\n--large-boundary\r\n"
         "Content-Type: application/octet-stream; name=\"backup.bin\"\r\n"
         "Content-Disposition: attachment; filename=\"backup.bin\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n" +
         base64_encode(attachment) + "\r\n--large-boundary--\r\n";
}

// The decoded attachment of a message or entity that is multipart/mixed as built above.
std::string attachment_of(const std::string& message) {
  const Entity entity = split_entity(message);
  const auto type = header_value(entity.headers, "Content-Type");
  if (!type || media_type(*type) != "multipart/mixed") {
    throw std::runtime_error("not multipart/mixed: " + message.substr(0, 400));
  }
  const auto parts = multipart_parts(entity.body, *header_parameter(*type, "boundary"));
  if (parts.size() != 2) throw std::runtime_error("expected two parts");
  return base64_decode(split_entity(parts[1]).body);
}

class LargeMessage : public InteropTest {};

TEST_F(LargeMessage, TwentyFiveMegabyteAttachmentRoundTripsByteIdentical) {
  const std::string attachment = random_attachment();
  const Identity& signer = world().org(KeyKind::p256);    // key generated in the token
  const Identity& recipient = world().org(KeyKind::rsa);  // key imported into the token
  const Identity& peer = world().peer(KeyKind::p384);     // software key, for openssl
  const std::string message = message_with_entity(
      {signer.files.email, {recipient.files.email, peer.files.email}}, mixed_entity(attachment));

  const OursRun sent = ours_outgoing(message, {"--sign", "yes", "--encrypt", "yes"});
  ASSERT_EQ(sent.process.exit_code, 0) << sent.command << "\n" << sent.process.err;
  EXPECT_TRUE(sent.json["signed"].get<bool>());
  EXPECT_TRUE(sent.json["encrypted"].get<bool>());
  EXPECT_GT(sent.message.size(), kAttachmentSize);

  const OursRun received = ours_incoming(sent.message);
  ASSERT_EQ(received.process.exit_code, 0) << received.process.out << received.process.err;
  EXPECT_TRUE(received.json["decrypted"].get<bool>());
  EXPECT_EQ(received.json["signature"]["status"], "valid") << received.json.dump(2);
  EXPECT_TRUE(attachment_of(received.message) == attachment)
      << "the attachment did not come back byte-identical from our own round trip";

  // openssl with the peer's software key: decrypt, then verify the signed entity inside.
  const PeerRun decrypted = world().openssl().decrypt_smime(sent.message, peer.files);
  ASSERT_TRUE(decrypted.ok) << decrypted.printed;
  const PeerRun verified =
      world().openssl().verify_smime(outer_headers({signer.files.email, {peer.files.email}}) +
                                         without_header(decrypted.output, "MIME-Version"),
                                     world().ca_pem());
  ASSERT_TRUE(verified.ok) << verified.printed;
  EXPECT_TRUE(attachment_of(verified.output) == attachment)
      << "openssl did not get the attachment back byte-identical";
}

}  // namespace
}  // namespace smime::test::interop
