//! A minimal PNG encoder (8-bit RGB, uncompressed deflate) for the `image` tool's picture.

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
const BIT_DEPTH_8: u8 = 8;
const COLOR_TYPE_RGB: u8 = 2;
const FILTER_NONE: u8 = 0;
/// Largest payload of one stored (uncompressed) deflate block.
const MAX_STORED_BLOCK: usize = 0xffff;

/// The `image` tool's picture: an 8x8 teal and white checkerboard.
pub fn checkerboard() -> Vec<u8> {
    const SIZE: u32 = 8;
    const TEAL: [u8; 3] = [0x00, 0x80, 0x80];
    const WHITE: [u8; 3] = [0xff, 0xff, 0xff];
    let pixels: Vec<u8> = (0..SIZE * SIZE)
        .flat_map(|i| {
            let (x, y) = (i % SIZE, i / SIZE);
            if (x + y) % 2 == 0 { TEAL } else { WHITE }
        })
        .collect();
    encode_rgb(SIZE, SIZE, &pixels)
}

/// Encodes `width` x `height` pixels given as RGB triples, row by row.
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    assert!(width > 0 && height > 0, "PNG dimensions are at least 1");
    let row_len = width as usize * 3;
    assert_eq!(rgb.len(), row_len * height as usize, "pixel buffer size");

    let mut scanlines = Vec::with_capacity(rgb.len() + height as usize);
    for row in rgb.chunks(row_len) {
        scanlines.push(FILTER_NONE);
        scanlines.extend_from_slice(row);
    }

    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // bit depth, colour type, compression 0, filter method 0, no interlace
    header.extend_from_slice(&[BIT_DEPTH_8, COLOR_TYPE_RGB, 0, 0, 0]);

    let mut png = SIGNATURE.to_vec();
    write_chunk(&mut png, b"IHDR", &header);
    write_chunk(&mut png, b"IDAT", &zlib_stored(&scanlines));
    write_chunk(&mut png, b"IEND", &[]);
    png
}

fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).expect("PNG chunk under 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream holding non-empty `data` in stored deflate blocks (RFC 1950, RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    // CMF: deflate, 32K window; FLG: no dictionary, check bits so CMF*256+FLG is a multiple of 31.
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(MAX_STORED_BLOCK).peekable();
    while let Some(block) = blocks.next() {
        let is_final = blocks.peek().is_none();
        out.push(u8::from(is_final));
        let len = u16::try_from(block.len()).expect("stored block fits u16");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % MOD;
        b = (b + a) % MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_their_published_check_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn png_has_signature_header_and_the_standard_iend_chunk() {
        let png = checkerboard();
        assert_eq!(&png[..8], &SIGNATURE);
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[16..20], &8u32.to_be_bytes());
        assert_eq!(&png[20..24], &8u32.to_be_bytes());
        // every PNG ends with the same 12 bytes: empty IEND and its CRC
        assert_eq!(
            &png[png.len() - 12..],
            &[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]
        );
    }

    #[test]
    fn stored_zlib_stream_carries_the_scanlines_verbatim() {
        let data: Vec<u8> = (0..=255).cycle().take(70_000).collect();
        let stream = zlib_stored(&data);
        // two blocks: 65535 bytes (not final), then the rest (final)
        assert_eq!(stream[2], 0);
        assert_eq!(&stream[3..5], &0xffffu16.to_le_bytes());
        let second = 2 + 5 + MAX_STORED_BLOCK;
        assert_eq!(stream[second], 1);
        let rest = u16::from_le_bytes([stream[second + 1], stream[second + 2]]);
        assert_eq!(usize::from(rest), data.len() - MAX_STORED_BLOCK);
        assert_eq!(&stream[7..12], &data[..5]);
        assert_eq!(&stream[stream.len() - 4..], &adler32(&data).to_be_bytes());
    }
}
