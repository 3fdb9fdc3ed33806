# churn.rb N - strings, arrays and hashes of many sizes, most dropped soon,
# some kept in a ring of 4096. Ruby keeps small objects in slots of its own
# heap; what does not fit a slot (strings over 23 bytes, arrays over 3
# elements, hashes over 8 pairs, and their growth) comes from malloc.
# Prints a sum that depends on N only.
n = (ARGV[0] || 160000).to_i
keep = Array.new(4096)
sum = 0
n.times do |i|
  name = "key-#{i % 977}-" + "x" * (i % 90)
  words = name.split("-")
  h = {}
  (i % 12).times { |j| h[j] = name[j, 30] }
  row = [name, words, h, Array.new(i % 17) { |j| j * i }]
  keep[(i * 7919) % keep.size] = row
  sum += words.size + h.size + row[3].size
end
keep.each { |r| sum += r[0].bytesize if r }
puts sum
