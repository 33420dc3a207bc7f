package orama

import "encoding/binary"

// EncodeEvent returns the ContractEvent encoding of an event: its topic (at
// most 64 bytes of UTF-8) and data (at most 1024 bytes).
func EncodeEvent(topic string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(topic)))
	b = append(b, topic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}
