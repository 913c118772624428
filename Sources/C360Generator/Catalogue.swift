/// The product catalogue and the people of the demo's fashion retailer.
enum Catalogue {
    struct Product {
        let id: String
        let name: String
        let category: String
        let pricePence: Int64
    }

    static let products: [Product] = {
        let lines: [(category: String, names: [String], priceRange: ClosedRange<Int64>)] = [
            ("dresses", ["Wrap Midi Dress", "Linen Shirt Dress", "Satin Slip Dress", "Floral Tea Dress", "Knitted Jumper Dress", "Tiered Maxi Dress"], 3_500...12_000),
            ("tops", ["Organic Cotton Tee", "Silk Blouse", "Ribbed Tank", "Oversized Shirt", "Broderie Top", "Striped Breton Top"], 1_200...6_500),
            ("jeans", ["Straight Leg Jeans", "Wide Leg Jeans", "Skinny Jeans", "Mom Jeans", "Bootcut Jeans"], 3_900...8_900),
            ("knitwear", ["Merino Crew Jumper", "Cashmere Cardigan", "Cable Knit Sweater", "Lambswool Vest"], 4_500...15_000),
            ("outerwear", ["Wool Overcoat", "Quilted Jacket", "Trench Coat", "Denim Jacket", "Puffer Jacket"], 6_900...25_000),
            ("shoes", ["Leather Loafers", "White Trainers", "Chelsea Boots", "Strappy Sandals", "Ballet Flats", "Knee Boots"], 4_500...16_000),
            ("accessories", ["Leather Belt", "Silk Scarf", "Canvas Tote", "Wool Beanie", "Leather Crossbody Bag", "Gold Hoop Earrings"], 900...9_500),
            ("activewear", ["Running Leggings", "Sports Bra", "Zip Track Top", "Yoga Shorts"], 1_800...6_000),
        ]
        var products: [Product] = []
        var random = SeededRandom(seed: 0xC360)
        for line in lines {
            for name in line.names {
                for colour in ["Black", "Navy", "Ecru", "Sage"] {
                    let price = line.priceRange.lowerBound + Int64(random.int(in: 0...Int(line.priceRange.upperBound - line.priceRange.lowerBound))) / 100 * 100 - 1
                    products.append(Product(
                        id: "sku_\(products.count + 1000)", name: "\(name) — \(colour)", category: line.category, pricePence: price))
                }
            }
        }
        return products
    }()

    static let firstNames = [
        "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Freya", "Lily", "Sophia", "Emily", "Zoë", "Chloé",
        "Aoife", "Siobhán", "Niamh", "Priya", "Aisha", "Fatima", "Mei", "Yuki", "Ingrid", "Léa", "Inès", "Maja",
        "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Muhammad", "José", "Søren", "Łukasz",
        "Rhys", "Dylan", "Cian", "Ravi", "Kwame", "Tomás", "Mateo", "Hiroshi", "Björn", "Émile", "Ayaan", "Finn",
    ]

    static let lastNames = [
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
        "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
        "O'Brien", "Murphy", "Kelly", "Nowak", "Müller", "García", "Rossi", "Khan", "Singh", "Nguyen",
        "Okafor", "Mensah", "Lindqvist", "Dubois", "Fernández", "Takahashi", "Kowalski", "Byrne", "Hughes", "Ahmed",
    ]

    static let cities: [(city: String, region: String, postcodePrefix: String)] = [
        ("London", "Greater London", "SW"), ("Manchester", "Greater Manchester", "M"), ("Birmingham", "West Midlands", "B"),
        ("Leeds", "West Yorkshire", "LS"), ("Glasgow", "Scotland", "G"), ("Edinburgh", "Scotland", "EH"),
        ("Bristol", "South West", "BS"), ("Cardiff", "Wales", "CF"), ("Belfast", "Northern Ireland", "BT"),
        ("Newcastle", "Tyne and Wear", "NE"), ("Brighton", "East Sussex", "BN"), ("Norwich", "Norfolk", "NR"),
    ]

    static let streets = ["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane", "King's Road", "Queen Street"]

    static let pages = ["/", "/new-in", "/women/dresses", "/women/knitwear", "/men/outerwear", "/shoes", "/sale", "/basket", "/checkout", "/account", "/help/returns"]

    static let errors: [(page: String, message: String)] = [
        ("/checkout", "Payment declined by card issuer"),
        ("/checkout", "Address lookup timed out"),
        ("/basket", "Item no longer in stock"),
        ("/account", "Password reset link expired"),
        ("/help/returns", "Returns portal unavailable"),
    ]

    static let searches = ["black dress", "linen", "trainers", "wool coat", "wedding guest", "sale jeans", "gift for her", "cashmere"]
    static let devices = ["desktop", "mobile", "tablet", "app"]
    static let acquisitionChannels = ["organic_search", "paid_social", "email", "referral", "instore", "affiliate"]
    static let ticketCategories = ["delivery", "returns", "refund", "sizing", "payment", "fraud", "account"]
}
