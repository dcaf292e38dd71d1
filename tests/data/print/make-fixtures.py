#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the print gate's test documents (tests/data/print/*.pdf, *.ps, *.txt).

Needs only the Python 3 standard library: the PDFs are written object by
object. Japanese text and full-width digits use a Type0 font (Identity-H,
no embedded glyphs) whose ToUnicode CMap maps each CID to its character, as
PDF producers do; the document without a Unicode map leaves the CMap out.
The individual numbers are made up; their check digits are computed below.

    python3 tests/data/print/make-fixtures.py tests/data/print
"""
import sys
import zlib


def check_digit(d11):
    """The individual number's check digit for its first eleven digits."""
    s = 0
    for n in range(1, 12):
        p = int(d11[11 - n])
        q = n + 1 if n <= 6 else n - 5
        s += p * q
    r = s % 11
    return '0' if r <= 1 else str(11 - r)


def number(d11):
    return d11 + check_digit(d11)


def pdf(objects):
    """objects: list of bytes bodies; object i+1 is objects[i]; 1 = catalog."""
    out = bytearray(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    offs = []
    for i, body in enumerate(objects):
        offs.append(len(out))
        out += b'%d 0 obj\n' % (i + 1) + body + b'\nendobj\n'
    x = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1)
    for o in offs:
        out += b'%010d 00000 n \n' % o
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objects) + 1, x)
    return bytes(out)


def stream(data, extra=b''):
    return b'<< /Length %d %s>>\nstream\n' % (len(data), extra) + data + b'\nendstream'


class Doc:
    """Pages of text lines in Helvetica (ASCII) and a Type0 font (any BMP text)."""

    def __init__(self, tounicode=True):
        self.pages = []
        self.cids = {}
        self.tounicode = tounicode

    def cid(self, ch):
        if ch not in self.cids:
            self.cids[ch] = len(self.cids) + 1
        return self.cids[ch]

    def page(self, lines, image=False):
        ops = []
        y = 780
        for kind, text in lines:
            if kind == 'a':
                t = text.replace('\\', '\\\\').replace('(', '\\(').replace(')', '\\)')
                ops.append(b'BT /F1 11 Tf 50 %d Td (%s) Tj ET' % (y, t.encode('ascii')))
            else:
                hexs = ''.join('%04X' % self.cid(c) for c in text)
                ops.append(b'BT /F2 11 Tf 50 %d Td <%s> Tj ET' % (y, hexs.encode()))
            y -= 16
        if image:
            ops.append(b'q 300 0 0 200 100 400 cm /Im1 Do Q')
        self.pages.append((b'\n'.join(ops), image))

    def build(self):
        # 1 catalog, 2 pages, 3 F1, 4 F2, 5 descendant, 6 tounicode, 7 image, then page + content pairs
        n = len(self.pages)
        kids = b' '.join(b'%d 0 R' % (8 + 2 * i) for i in range(n))
        objs = [b'<< /Type /Catalog /Pages 2 0 R >>',
                b'<< /Type /Pages /Kids [%s] /Count %d >>' % (kids, n),
                b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
                b'<< /Type /Font /Subtype /Type0 /BaseFont /MS-Mincho /Encoding /Identity-H '
                b'/DescendantFonts [5 0 R]' + (b' /ToUnicode 6 0 R' if self.tounicode else b'') + b' >>',
                b'<< /Type /Font /Subtype /CIDFontType2 /BaseFont /MS-Mincho '
                b'/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> '
                b'/FontDescriptor << /Type /FontDescriptor /FontName /MS-Mincho /Flags 4 '
                b'/FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 '
                b'/CapHeight 700 /StemV 80 >> /DW 1000 /CIDToGIDMap /Identity >>']
        bf = ''.join('<%04X> <%04X>\n' % (c, ord(ch)) for ch, c in sorted(self.cids.items(), key=lambda x: x[1]))
        cmap = ('/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n'
                '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n'
                '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n'
                '1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n'
                '%d beginbfchar\n%sendbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n'
                % (len(self.cids), bf)).encode()
        objs.append(stream(cmap))
        pix = bytes((x * 7 + y * 3) & 0xff for y in range(64) for x in range(64))
        objs.append(stream(zlib.compress(pix), b'/Type /XObject /Subtype /Image /Width 64 /Height 64 '
                           b'/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode '))
        for i, (content, image) in enumerate(self.pages):
            res = b'<< /Font << /F1 3 0 R /F2 4 0 R >>' + (b' /XObject << /Im1 7 0 R >>' if image else b'') + b' >>'
            objs.append(b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s '
                        b'/Contents %d 0 R >>' % (res, 9 + 2 * i))
            objs.append(stream(content))
        return pdf(objs)


def fw(s):
    """ASCII digits to full-width digits."""
    return ''.join(chr(ord(c) - 0x30 + 0xff10) if c.isdigit() else c for c in s)


def main(out):
    n1 = number('12345678901')
    n2 = number('98765432109')
    assert len(n1) == 12

    d = Doc()
    d.page([('j', '住民税のお知らせ（見本）'),
            ('a', 'Resident tax notice - sample'),
            ('a', 'Tel 03-1234-5678  Date 2026-11-25  Amount 1,234,567 yen'),
            ('j', '電話 ０３－１２３４－５６７８ 金額 １，２３４，５６７円'),
            ('a', 'Reference 1234-5678-9012 (not a valid check digit)' if check_digit('12345678901') != '2'
             else 'Reference 1111-2222-3333')])
    open(out + '/clean.pdf', 'wb').write(d.build())

    d = Doc()
    d.page([('j', '住民票の写し（見本）'),
            ('j', '氏名　見本　太郎'),
            ('j', '個人番号　' + fw(n1[0:4] + '－' + n1[4:8] + '－' + n1[8:12])),
            ('a', 'Page 1')])
    open(out + '/mynumber-fullwidth.pdf', 'wb').write(d.build())

    d = Doc()
    d.page([], image=True)
    open(out + '/image-only.pdf', 'wb').write(d.build())

    d = Doc(tounicode=False)
    d.page([('j', '個人番号　' + fw(n2))])
    open(out + '/no-unicode-map.pdf', 'wb').write(d.build())

    d = Doc()
    for p in range(10):
        lines = [('j', '事務連絡　第%d頁' % (p + 1))]
        for k in range(45):
            lines.append(('a', 'Line %02d of page %d: meeting minutes, room 3-204, 10:30-11:45, '
                               'budget 12,345,678 yen.' % (k + 1, p + 1)))
        d.page(lines)
    open(out + '/ten-pages.pdf', 'wb').write(d.build())

    ps = ('%!PS-Adobe-3.0\n%%Pages: 1\n%%Page: 1 1\n/Helvetica findfont 12 scalefont setfont\n'
          '72 720 moveto (My Number ' + n2[0:4] + '-' + n2[4:8] + '-' + n2[8:12] + ') show\nshowpage\n%%EOF\n')
    open(out + '/mynumber.ps', 'w').write(ps)
    txt = '住民票　見本\n個人番号 ' + fw(n2) + '\n'
    open(out + '/mynumber-sjis.txt', 'wb').write(txt.encode('cp932'))
    open(out + '/clean.txt', 'w').write('Meeting at 10:30 in room 3-204. Call 090-1234-5678.\n')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '.')
