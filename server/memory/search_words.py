"""The word tables behind memory search: stop-words and synonym groups, in English and Chinese.

A table module: it is long because the tables are, and it holds nothing else. ``search_text``
reads them to cut text into search terms and to widen a question with synonyms.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------
# Stop-words: words that say nothing about WHICH memory is meant. Besides the
# usual function words this drops how people ask ("do you remember that time
# when...", "tell me about..."), so only the subject of the question remains.
# ---------------------------------------------------------------------------
EN_STOP = set(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either
    else ever every few for from further had has have having he her here hers herself him
    himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too under
    until up upon very was we were what whatever when where which while who whom whose why will
    with would you your yours yourself yourselves
    ca wo s t d ll m re ve o
    oh ah um uh hmm yes yeah no ok okay well please thanks thank
    remember remembered recall recalled tell told telling say said talk talked talking story
    stories know knew think thought thing things something anything everything like just really
    much many lot lots still always never ever again back ago used use way ones one
    go goes went gone going get gets got getting come came coming make makes made let lets
    time times bit sort kind maybe perhaps favourite favorite dear darling love
    """.split()
)

# Chinese: split a run of characters at these, so they never join a bigram.
# Longer phrases are removed first. Kept short on purpose: 会 (舞会), 去 (去世),
# 过 (过世) and 想 (想念) carry meaning in words elderly people use.
ZH_STOP_PHRASES = sorted(
    """
    还记得 记得 记不记得 什么 怎么样 怎么 为什么 时候的事 哪里 哪儿 哪个 哪些 多少 干嘛 为啥 一下 告诉 讲讲 说说 讲一讲 说一说 知道
    那个 这个 那次 这次 那些 这些 我们 你们 他们 她们 自己 一个 的话 是不是 有没有 可以 给我
    """.split(),
    key=len,
    reverse=True,
)
ZH_STOP_CHARS = set("的了吗呢吧啊呀嘛哦是你我他她它们和也都就还在这那个么很着把被让跟请")

# ---------------------------------------------------------------------------
# Synonyms: groups of words that name the same thing the way people ask about
# it, in English and Chinese. A question word in a group also searches for the
# other members (at a discount), which is how "your wedding" finds "the day I
# married your grandad" and "讲讲你的狗" finds an English memory about a dog.
# Members are written as plain words; English ones are stemmed at import.
# ---------------------------------------------------------------------------
SYNONYM_GROUPS: list[tuple[str, ...]] = [
    # family
    ("wedding", "wed", "married", "marry", "marriage", "bride", "groom", "婚礼", "结婚", "嫁", "新娘"),
    ("husband", "grandpa", "grandad", "granddad", "grandfather", "gramps", "丈夫", "老公", "爷爷", "外公", "姥爷", "老伴"),
    ("wife", "grandma", "granny", "gran", "nana", "nan", "grandmother", "妻子", "老婆", "奶奶", "外婆", "姥姥", "老伴"),
    ("mother", "mum", "mom", "mam", "mummy", "mama", "妈妈", "母亲", "妈"),
    ("father", "dad", "daddy", "papa", "爸爸", "父亲", "爸"),
    ("brother", "哥哥", "弟弟", "兄弟"),
    ("sister", "姐姐", "妹妹", "姐妹"),
    ("kids", "children", "child", "孩子", "子女", "小孩", "儿女"),
    ("son", "儿子"),
    ("daughter", "女儿", "闺女"),
    ("baby", "born", "birth", "pregnant", "出生", "生孩子", "宝宝", "婴儿", "怀孕"),
    ("grandchild", "grandchildren", "grandson", "granddaughter", "grandkids", "孙子", "孙女", "外孙", "外孙女"),
    ("family", "relatives", "家人", "家里人", "亲戚", "一家"),
    ("friend", "friends", "pal", "朋友", "好友"),
    ("meet", "met", "meeting", "认识", "相识", "遇见", "碰见", "相遇"),
    ("courting", "courtship", "sweetheart", "romance", "date", "恋爱", "谈恋爱", "约会"),
    ("propose", "proposed", "proposal", "engaged", "engagement", "求婚", "订婚"),
    ("dance", "dancing", "danced", "ballroom", "跳舞", "舞会", "舞厅"),
    # life and work
    ("job", "work", "worked", "working", "career", "employed", "occupation", "工作", "上班", "职业", "干活"),
    (
        "war",
        "wartime",
        "army",
        "soldier",
        "navy",
        "sailor",
        "military",
        "bomb",
        "bombs",
        "evacuated",
        "evacuee",
        "战争",
        "打仗",
        "参军",
        "当兵",
        "军队",
        "海军",
        "二战",
        "抗战",
        "战时",
    ),
    ("house", "home", "cottage", "flat", "房子", "老房子", "住处", "家里"),
    ("move", "moved", "moving", "搬家", "搬"),
    ("childhood", "young", "little", "girl", "boy", "girlhood", "小时候", "童年", "小的时候", "年轻"),
    ("school", "teacher", "classroom", "lessons", "pupil", "学校", "上学", "老师", "读书", "小学"),
    ("money", "savings", "saved", "pennies", "钱", "存钱", "攒钱"),
    ("retire", "retired", "retirement", "退休"),
    ("telephone", "phone", "switchboard", "operator", "exchange", "电话", "接线员", "电话局"),
    ("shop", "bakery", "baker", "store", "商店", "面包店", "店", "铺子"),
    ("drive", "driving", "car", "driver", "开车", "汽车", "驾驶", "学车"),
    ("bicycle", "bike", "cycle", "cycling", "自行车", "骑车"),
    ("letter", "letters", "wrote", "write", "信", "写信", "来信"),
    # places and travel
    ("sea", "seaside", "beach", "coast", "shore", "ocean", "waves", "海", "海边", "大海", "海滩"),
    ("pier", "harbour", "harbor", "quay", "码头", "栈桥", "港口"),
    ("fish", "fishing", "fisherman", "boat", "boats", "鱼", "钓鱼", "渔民", "打鱼", "船"),
    ("town", "village", "镇", "小镇", "村", "村子", "老家", "家乡"),
    (
        "trip",
        "travel",
        "travelled",
        "traveled",
        "journey",
        "abroad",
        "visit",
        "visited",
        "flew",
        "flight",
        "旅行",
        "旅游",
        "出国",
        "坐飞机",
        "飞机",
        "去过",
    ),
    ("holiday", "holidays", "vacation", "caravan", "度假", "假期", "放假"),
    ("honeymoon", "蜜月"),
    ("china", "chinese", "中国", "中文", "汉字"),
    ("wall", "walls", "城墙", "墙"),
    ("lake", "lakes", "湖", "湖边"),
    ("mountain", "mountains", "hill", "hills", "fell", "山", "爬山"),
    ("church", "chapel", "vicar", "教堂", "教会"),
    # food and home life
    ("cook", "cooking", "recipe", "bake", "baking", "kitchen", "做饭", "做菜", "菜谱", "食谱", "厨房", "烤"),
    ("cake", "sponge", "蛋糕"),
    ("scone", "scones", "司康", "司康饼"),
    ("bread", "loaf", "loaves", "面包"),
    ("pudding", "dessert", "布丁", "甜点"),
    ("tea", "teapot", "茶", "喝茶", "茶叶"),
    ("noodle", "noodles", "面条", "面"),
    ("food", "eat", "ate", "meal", "dinner", "supper", "吃", "吃饭", "饭", "晚饭"),
    ("sweets", "candy", "toffee", "糖", "糖果"),
    ("ration", "rationing", "rations", "配给", "定量"),
    ("garden", "gardening", "allotment", "flowers", "plants", "grew", "grow", "花园", "园子", "种花", "种菜", "花"),
    ("rose", "roses", "玫瑰", "月季"),
    ("knit", "knitting", "knitted", "wool", "jumper", "sweater", "织毛衣", "毛衣", "毛线"),
    # animals
    ("dog", "puppy", "terrier", "狗", "小狗"),
    ("cat", "kitten", "猫", "小猫"),
    ("pet", "pets", "dog", "cat", "宠物"),
    # events
    (
        "song",
        "songs",
        "sing",
        "sang",
        "singing",
        "music",
        "tune",
        "choir",
        "hymn",
        "lullaby",
        "歌",
        "唱歌",
        "唱",
        "音乐",
        "合唱",
        "歌曲",
        "摇篮曲",
    ),
    ("christmas", "xmas", "圣诞", "圣诞节"),
    ("birthday", "生日"),
    ("flood", "flooded", "storm", "洪水", "水灾", "发大水", "暴风雨", "淹"),
    ("queen", "coronation", "king", "女王", "加冕"),
    ("television", "telly", "tv", "电视"),
    ("swim", "swimming", "swam", "bathing", "游泳"),
    ("advice", "wisdom", "lesson", "motto", "建议", "忠告", "道理", "教导", "嘱咐"),
    ("die", "died", "dying", "death", "dead", "passed", "funeral", "grave", "去世", "死", "走了", "葬礼", "过世"),
    ("sick", "ill", "illness", "hospital", "doctor", "生病", "医院", "医生", "病"),
    ("happy", "happiest", "joy", "开心", "高兴", "快乐", "幸福"),
    ("sad", "saddest", "cry", "cried", "tears", "难过", "哭", "伤心"),
    ("secret", "trick", "秘诀", "诀窍", "秘密"),
    ("childhood", "grew up", "grow up", "growing up", "brought up", "raised", "长大", "小时候"),
    ("die", "passed away", "passed on", "去世"),
    ("courting", "fell in love", "fall in love", "爱上"),
    ("sleep", "fall asleep", "go to sleep", "睡着"),
    ("new year", "new years", "hogmanay", "新年", "元旦", "过年"),
    ("summer", "summertime", "summers", "夏天", "暑假"),
    ("winter", "wintertime", "snow", "冬天", "下雪"),
    ("spring", "springtime", "春天"),
    ("autumn", "秋天"),
    ("rain", "rained", "raining", "weather", "wet", "下雨", "雨", "天气"),
    ("sleep", "asleep", "bedtime", "night", "睡觉", "睡", "晚上", "哄睡"),
    ("photo", "photograph", "picture", "camera", "照片", "相片", "拍照"),
]
