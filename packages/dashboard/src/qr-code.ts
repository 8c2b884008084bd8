import encodeQR from '@paulmillr/qr'

const SVG = 'http://www.w3.org/2000/svg'
/** Four light modules around the code: the quiet zone that scanners need (ISO/IEC 18004). */
const QUIET = 4

/**
 * A QR code of `text`, drawn here as SVG from the module matrix (no image service, no other
 * origin). One path of unit squares, black on white, so any authenticator app's camera reads it.
 */
export function qrCode(text: string, label: string): SVGSVGElement {
  const modules = encodeQR(text, 'raw', { ecc: 'medium', border: 0 })
  const size = modules.length + QUIET * 2
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`)
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', label)
  svg.setAttribute('class', 'qr')
  svg.setAttribute('shape-rendering', 'crispEdges')
  const background = document.createElementNS(SVG, 'rect')
  background.setAttribute('width', String(size))
  background.setAttribute('height', String(size))
  background.setAttribute('fill', '#fff')
  let d = ''
  modules.forEach((row, y) => row.forEach((dark, x) => {
    if (dark) d += `M${x + QUIET} ${y + QUIET}h1v1h-1z`
  }))
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', d)
  path.setAttribute('fill', '#000')
  svg.append(background, path)
  return svg
}
